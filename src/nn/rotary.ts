// Rotary position embedding tables (RoFormer): head dims are paired, pair i turns by angle pos * theta^(-2i/D).
import type { RotaryTable } from '../tensor/index.js';

export function rotaryTable(headDim: number, positions: number, theta = 10000): RotaryTable {
  if (headDim % 2 !== 0) throw new Error(`rotaryTable: head dim ${headDim} must be even`);
  const half = headDim / 2;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * theta ** (-i / half);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { headDim, cos, sin };
}
