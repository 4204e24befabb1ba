// Rotary position embedding tables (RoPE, RoFormer): head dims are paired, pair i turns by angle
// pos * theta^(-2i/D).
import type { RotaryTable } from '../tensor/index.js';

/**
 * The table for `positions` positions, computed on first use: a model is built (and its checkpoint checked)
 * without paying for a table of its whole context until it runs.
 */
export function rotaryTable(headDim: number, positions: number, theta = 10000): RotaryTable {
  if (headDim % 2 !== 0) throw new Error(`rotaryTable: head dim ${headDim} must be even`);
  let table: { cos: Float32Array; sin: Float32Array } | undefined;
  const filled = () => {
    table ??= fill(headDim / 2, positions, theta);
    return table;
  };
  return {
    headDim,
    get cos() {
      return filled().cos;
    },
    get sin() {
      return filled().sin;
    },
  };
}

function fill(half: number, positions: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * theta ** (-i / half);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
