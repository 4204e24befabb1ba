// Rotary position embedding tables (RoPE, RoFormer): head dims are paired, pair i turns by angle
// pos * theta^(-2i/D), its frequency, which a scaling may change (Hugging Face's rope_scaling).
import type { RotaryTable } from '../tensor/index.js';

/**
 * Hugging Face's rotary scalings that change only the frequencies: `linear` divides them all by factor
 * (positions interpolated); `llama3` (Llama 3.1) divides the low ones by factor, keeps the high ones and
 * blends those between, by wavelength against the original context.
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalContext: number;
    };

/**
 * The table for `positions` positions, computed on first use: a model is built (and its checkpoint checked)
 * without paying for a table of its whole context until it runs.
 */
export function rotaryTable(
  headDim: number,
  positions: number,
  theta = 10000,
  scaling?: RopeScaling,
): RotaryTable {
  if (headDim % 2 !== 0) throw new Error(`rotaryTable: head dim ${headDim} must be even`);
  let table: { cos: Float32Array; sin: Float32Array } | undefined;
  const half = headDim / 2;
  const filled = () => {
    table ??= fill(
      Array.from({ length: half }, (_, i) => scaled(theta ** (-i / half), scaling)),
      positions,
    );
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

/** A frequency after scaling, as transformers' rope init functions compute it. */
function scaled(frequency: number, s: RopeScaling | undefined): number {
  if (!s) return frequency;
  if (s.type === 'linear') return frequency / s.factor;
  const wavelength = (2 * Math.PI) / frequency;
  if (wavelength < s.originalContext / s.highFreqFactor) return frequency;
  if (wavelength > s.originalContext / s.lowFreqFactor) return frequency / s.factor;
  const smooth = (s.originalContext / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return (1 - smooth) * (frequency / s.factor) + smooth * frequency;
}

function fill(frequencies: number[], positions: number): { cos: Float32Array; sin: Float32Array } {
  const half = frequencies.length;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * frequencies[i];
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
