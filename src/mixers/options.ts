// What every mixer is built from: the model's width and heads, init scales, and its own checked settings.
import type { Generator, RotaryTable } from '../tensor/index.js';

/** What the model gives every layer, whatever its kind. */
export interface LayerOptions {
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
}

/** What a setting's default may depend on. */
export type LayerShape = Pick<LayerOptions, 'dim' | 'heads'>;

/** A layer's options with its settings resolved: every one present, defaulted and checked (settings.ts). */
export interface MixerOptions<S = Readonly<Record<string, number>>> extends LayerOptions {
  settings: S;
}
