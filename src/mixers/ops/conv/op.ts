// The depthwise causal conv1d with an optional SiLU (causal_conv1d_fn of Dao-AILab's causal-conv1d, which
// mamba and flash-linear-attention both call) as one fused op, and the Conv1d module that holds its
// parameters under PyTorch's names and layout. Mamba puts it in front of its scan, DeltaNet and Gated
// DeltaNet in front of q, k and v (fla's ShortConvolution), and the linear-attention family when asked.
// Under withNaiveOps the op runs naive.ts's shifted copies instead of the kernels.
import { Module, uniform } from '../../../nn/index.js';
import { type Generator, record, reshape, silu as siluOp, Tensor } from '../../../tensor/index.js';
import { naiveOps } from '../form.js';
import { convKernels } from './kernels.js';
import { naiveCausalConv1d } from './naive.js';

export interface CausalConv1dOptions {
  activation?: 'silu' | null;
  /**
   * The width - 1 inputs before x, [batch, width - 1, channels], oldest first (zeros when absent). The
   * conv continues from it, and it moves on in place to the last width - 1 inputs seen, so that the next
   * call continues from there (generation: causal_conv1d_update's conv_state).
   */
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
  // The backward reads the window as it was before this call moves it on.
  const before = window?.slice() ?? null;
  const out = naiveOps()
    ? naive(x, weight, bias, before && new Tensor(before, [batch, width - 1, channels]), silu)
    : fused(x, weight, bias, before, silu);
  if (window) slideWindow(window, x.data, batch, seq, channels, width - 1);
  return out;
}

function naive(x: Tensor, weight: Tensor, bias: Tensor | null, before: Tensor | null, silu: boolean): Tensor {
  const pre = naiveCausalConv1d(x, weight, bias, before ?? undefined);
  return silu ? siluOp(pre) : pre;
}

/** The kernels, forward and backward; `before` is the window before x (null: zeros). */
function fused(x: Tensor, weight: Tensor, bias: Tensor | null, before: Float32Array | null, silu: boolean) {
  const [batch, seq, channels] = x.shape;
  const width = weight.shape[1];
  const k = convKernels();
  const out = new Float32Array(x.data.length);
  k.causalConv1d(x.data, weight.data, bias?.data ?? null, before, out, batch, seq, channels, width, silu);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('causalConv1d', x.withData(out), inputs, (g) => {
    const gx = new Float32Array(x.data.length);
    const gw = new Float32Array(weight.data.length);
    const gb = bias ? new Float32Array(channels) : null;
    k.causalConv1dGrad(
      x.data,
      weight.data,
      bias?.data ?? null,
      before,
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

/** Moves a window [batch, keep, channels] on by seq new inputs [batch, seq, channels]. */
function slideWindow(
  window: Float32Array,
  x: Float32Array,
  batch: number,
  seq: number,
  channels: number,
  keep: number,
) {
  const fresh = Math.min(seq, keep);
  for (let b = 0; b < batch; b++) {
    const w = window.subarray(b * keep * channels, (b + 1) * keep * channels);
    w.copyWithin(0, fresh * channels); // the oldest `fresh` rows leave
    w.set(
      x.subarray((b * seq + seq - fresh) * channels, (b * seq + seq) * channels),
      (keep - fresh) * channels,
    );
  }
}

/**
 * nn.Conv1d(channels, channels, kernel_size=width, groups=channels, padding=width - 1) cut to the first
 * seq outputs, then SiLU, as Mamba and fla's ShortConvolution use it: weight [channels, 1, width], bias
 * [channels] when asked for (Mamba's conv_bias; fla's layers have none), PyTorch's default init
 * U(-1/sqrt(width), 1/sqrt(width)) (the fan-in of a depthwise filter is its width).
 */
export class CausalConv1d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly channels: number,
    readonly width: number,
    options: { bias: boolean; generator?: Generator },
  ) {
    super();
    const bound = 1 / Math.sqrt(width);
    this.weight = uniform([channels, 1, width], bound, options.generator);
    this.bias = options.bias ? uniform([channels], bound, options.generator) : null;
  }

  /** silu(conv(x)) for x [batch, seq, channels], continuing from and moving on the window when given. */
  forward(x: Tensor, window: Float32Array | null = null): Tensor {
    const weight = reshape(this.weight, [this.channels, this.width]);
    return causalConv1d(x, weight, this.bias, { activation: 'silu', window });
  }
}
