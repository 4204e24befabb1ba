// What every mixer is built from: the model's width and heads, init scales, and its own settings.
import type { Generator, RotaryTable } from '../tensor/index.js';

export interface MixerOptions {
  dim: number;
  /** Hook-point prefix, e.g. "blocks.3.mixer". */
  name: string;
  heads: number;
  bias: boolean;
  /** Init std of input projections and of the output projection (scaled down by depth, as GPT-2). */
  std: number;
  projStd: number;
  /** Rotary table when the model uses RoPE (attention reads it; most recurrent mixers ignore it). */
  rotary: RotaryTable | null;
  generator?: Generator;
  /** The config's mixerOptions: each mixer reads the settings it knows (dState, expand, chunkSize, ...). */
  settings: Readonly<Record<string, number>>;
}
