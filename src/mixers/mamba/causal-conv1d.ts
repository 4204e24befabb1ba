// Depthwise causal conv1d (causal_conv1d_fn of Dao-AILab, channels-last) as one fused op with an optional
// SiLU, and the Conv1d module that holds its parameters under PyTorch's names and layout.
import { Module, uniform } from '../../nn/index.js';
import { type Generator, record, reshape, type Tensor } from '../../tensor/index.js';
import { mambaKernels } from './kernels.js';

export interface CausalConv1dOptions {
  activation?: 'silu' | null;
  /** The K - 1 inputs before x, [batch, K - 1, channels], oldest first (generation); zeros when absent. */
  window?: Float32Array | null;
}

/**
 * out[b, t, c] = act(bias[c] + sum_k weight[c, k] x[b, t - K + 1 + k, c]) for x [batch, seq, channels] and
 * weight [channels, K]: each channel sees its own last K inputs, never a later one.
 */
export function causalConv1d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: CausalConv1dOptions = {},
): Tensor {
  if (x.ndim !== 3 || weight.ndim !== 2 || weight.shape[0] !== x.shape[2] || weight.shape[1] < 1) {
    throw new Error(
      `causalConv1d: expected x [batch, seq, channels] and weight [channels, width], got [${x.shape}] and [${weight.shape}]`,
    );
  }
  const [batch, seq, channels] = x.shape;
  const width = weight.shape[1];
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== channels)) {
    throw new Error(`causalConv1d: bias must have shape [${channels}], got [${bias.shape}]`);
  }
  const window = options.window ?? null;
  if (window && window.length !== batch * (width - 1) * channels) {
    throw new Error(
      `causalConv1d: window holds ${window.length} values, expected batch * (width - 1) * channels = ${batch * (width - 1) * channels}`,
    );
  }
  const silu = options.activation === 'silu';
  const k = mambaKernels();
  const out = new Float32Array(x.data.length);
  k.causalConv1d(x.data, weight.data, bias?.data ?? null, window, out, batch, seq, channels, width, silu);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('causalConv1d', x.withData(out), inputs, (g) => {
    const gx = new Float32Array(x.data.length);
    const gw = new Float32Array(weight.data.length);
    const gb = bias ? new Float32Array(channels) : null;
    k.causalConv1dGrad(
      x.data,
      weight.data,
      bias?.data ?? null,
      window,
      g.data,
      gx,
      gw,
      gb,
      batch,
      seq,
      channels,
      width,
      silu,
    );
    const grads = [x.withData(gx), weight.withData(gw)];
    if (bias && gb) grads.push(bias.withData(gb));
    return grads;
  });
}

/**
 * nn.Conv1d(channels, channels, kernel_size=width, groups=channels, padding=width - 1) cut to the first
 * seq outputs, as Mamba uses it: weight [channels, 1, width], bias [channels], PyTorch's default init
 * U(-1/sqrt(width), 1/sqrt(width)) (fan-in of a depthwise filter is its width).
 */
export class CausalConv1d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(
    readonly channels: number,
    readonly width: number,
    generator?: Generator,
  ) {
    super();
    const bound = 1 / Math.sqrt(width);
    this.weight = uniform([channels, 1, width], bound, generator);
    this.bias = uniform([channels], bound, generator);
  }

  /**
   * Conv + SiLU over x [batch, seq, channels]. With a window (the last width - 1 inputs, generation) the
   * convolution continues from it and the window moves on to the last width - 1 inputs seen.
   */
  forward(x: Tensor, window: Float32Array | null = null): Tensor {
    const w = reshape(this.weight, [this.channels, this.width]);
    // The op keeps its window for the backward, so it gets a copy of the one that moves on.
    const out = causalConv1d(x, w, this.bias, { activation: 'silu', window: window?.slice() });
    if (window) slideWindow(window, x.data, x.shape[0], x.shape[1], this.channels, this.width - 1);
    return out;
  }
}

/** Moves a window [batch, keep, channels] on by seq new inputs [batch, seq, channels]. */
function slideWindow(
  window: Float32Array,
  x: Float32Array,
  batch: number,
  seq: number,
  channels: number,
  keep: number,
) {
  for (let b = 0; b < batch; b++) {
    const w = window.subarray(b * keep * channels, (b + 1) * keep * channels);
    const fresh = Math.min(seq, keep);
    w.copyWithin(0, fresh * channels); // the oldest `fresh` rows leave
    w.set(
      x.subarray((b * seq + seq - fresh) * channels, (b * seq + seq) * channels),
      (keep - fresh) * channels,
    );
  }
}
