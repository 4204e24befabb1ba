// Mamba (Gu & Dao 2023, "Linear-Time Sequence Modeling with Selective State Spaces"), the block of
// state-spaces/mamba's mamba_simple.py:
//   x, z  = split(in_proj(x_in))          each [B, T, d_inner], d_inner = expand * dim
//   u     = silu(conv1d(x))               depthwise causal conv of width d_conv
//   dt, B, C = split(x_proj(u))           [dt_rank | d_state | d_state]: the selection is input-dependent
//   delta = softplus(dt_proj(dt))         a step size per token and channel
//   A     = -exp(A_log)                   [d_inner, d_state], a diagonal per channel
// Per channel c and state n, the recurrence (zero-order hold of A, Euler step for B):
//   h_t[c, n] = exp(delta_t[c] A[c, n]) h_{t-1}[c, n] + delta_t[c] B_t[n] u_t[c]
//   y_t[c]    = sum_n C_t[n] h_t[c, n] + D[c] u_t[c]
//   out       = out_proj(y * silu(z))
// Training: the decay exp(delta_t A) differs per token, channel and state, so there is no cheap chunkwise
// matrix form (Mamba-2 buys one by making A a scalar per head). The scan runs sequentially in time and in
// parallel over batch x d_inner, fused with the softplus, the D skip and the gate (selective-scan.ts); its
// backward is the reverse scan, recomputing states chunk by chunk from saved checkpoints. The conv is a
// fused op too (conv/causal-conv1d.ts, shared with DeltaNet). Generation keeps a constant-size state: the last d_conv - 1 conv inputs
// and h [B, d_inner, d_state]; the same kernels continue from it, so one token is one recurrent step.
// Hook points: hook_conv (u), hook_delta, hook_B, hook_C, hook_y (gated y, into out_proj).
import { Linear, Module, markNoWeightDecay } from '../nn/index.js';
import {
  add,
  defaultGenerator,
  exp,
  fromArray,
  linear,
  matmul,
  neg,
  slice,
  softplus,
  split,
  type Tensor,
} from '../tensor/index.js';
import { CausalConv1d } from './conv/causal-conv1d.js';
import { selectiveScan } from './mamba/selective-scan.js';
import type { Mixer, MixerContext, MixerState } from './mixer.js';
import type { MixerOptions } from './options.js';

/** The reference dt init: dt log-uniform in [DT_MIN, DT_MAX], floored at DT_FLOOR. */
const DT_MIN = 0.001;
const DT_MAX = 0.1;
const DT_FLOOR = 1e-4;

/** Generation state per layer: constant size whatever the context length. */
export class MambaState implements MixerState {
  readonly kind = 'mamba';
  /** The last d_conv - 1 inputs of the conv, [batch, d_conv - 1, d_inner], oldest first. */
  readonly conv: Float32Array;
  /** The SSM state h, [batch, d_inner, d_state]. */
  readonly ssm: Float32Array;
  constructor(
    readonly batch: number,
    readonly dInner: number,
    readonly dState: number,
    readonly dConv: number,
  ) {
    this.conv = new Float32Array(batch * (dConv - 1) * dInner);
    this.ssm = new Float32Array(batch * dInner * dState);
  }
  bytes(): number {
    return this.conv.byteLength + this.ssm.byteLength;
  }
}

const HOOKS = ['hook_conv', 'hook_delta', 'hook_B', 'hook_C', 'hook_y'] as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`mamba: setting ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export class Mamba extends Module implements Mixer {
  readonly in_proj: Linear;
  readonly conv1d: CausalConv1d;
  readonly x_proj: Linear;
  readonly dt_proj: Linear;
  readonly A_log: Tensor;
  readonly D: Tensor;
  readonly out_proj: Linear;
  readonly dim: number;
  readonly dInner: number;
  readonly dState: number;
  readonly dConv: number;
  readonly dtRank: number;
  private readonly hookNames: Record<(typeof HOOKS)[number], string>;

  /** Settings: expand (2), dState (16), convSize (4), dtRank (ceil(dim / 16)), as mamba_simple.py. */
  constructor(o: MixerOptions) {
    super();
    const s = o.settings;
    const expand = s.expand ?? 2;
    this.dim = o.dim;
    this.dInner = Math.floor(expand * o.dim);
    if (!(expand > 0) || this.dInner < 1) {
      throw new Error(
        `mamba: setting expand must make expand * dim >= 1, got expand ${expand} for dim ${o.dim}`,
      );
    }
    this.dState = positiveInteger('dState', s.dState ?? 16);
    this.dConv = positiveInteger('convSize', s.convSize ?? 4);
    this.dtRank = positiveInteger('dtRank', s.dtRank ?? Math.ceil(o.dim / 16));
    const g = o.generator ?? defaultGenerator;
    const { dInner, dState, dtRank } = this;
    // The model's init scales for the plain projections (out_proj's shrinks with depth, as the reference's
    // rescale of out_proj does); the SSM's own parameters get the reference inits below.
    this.in_proj = new Linear(o.dim, 2 * dInner, { bias: o.bias, std: o.std, generator: g });
    this.conv1d = new CausalConv1d(dInner, this.dConv, { bias: true, generator: g });
    this.x_proj = new Linear(dInner, dtRank + 2 * dState, { bias: false, std: o.std, generator: g });
    // PyTorch's default weight init, U(-1/sqrt(dt_rank), 1/sqrt(dt_rank)), is the reference's "random" dt
    // init; the bias is set so that softplus(bias) = dt, dt log-uniform in [DT_MIN, DT_MAX].
    this.dt_proj = new Linear(dtRank, dInner, { bias: true, generator: g });
    const bias = this.dt_proj.bias as Tensor;
    for (let c = 0; c < dInner; c++) {
      const logDt = Math.log(DT_MIN) + g.random() * (Math.log(DT_MAX) - Math.log(DT_MIN));
      const dt = Math.max(Math.exp(logDt), DT_FLOOR);
      bias.data[c] = dt + Math.log(-Math.expm1(-dt)); // inverse softplus
    }
    // A = -(1, 2, ..., d_state) in every channel (S4D-Real), stored as its log so it stays negative.
    this.A_log = markNoWeightDecay(
      fromArray(
        Float32Array.from({ length: dInner * dState }, (_, i) => Math.log((i % dState) + 1)),
        [dInner, dState],
      ).requiresGrad_(),
    );
    this.D = fromArray(new Float32Array(dInner).fill(1), [dInner]).requiresGrad_();
    this.out_proj = new Linear(dInner, o.dim, { bias: o.bias, std: o.projStd, generator: g });
    this.hookNames = Object.fromEntries(HOOKS.map((h) => [h, `${o.name}.${h}`])) as typeof this.hookNames;
  }

  initState(batch: number, _capacity: number): MambaState {
    return new MambaState(batch, this.dInner, this.dState, this.dConv);
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    if (x.ndim !== 3 || x.shape[2] !== this.dim) {
      throw new Error(`mamba: expected x [batch, seq, ${this.dim}], got [${x.shape}]`);
    }
    const state = this.stateFor(ctx.state, x.shape[0]);
    const hooks = ctx.hooks;
    const names = this.hookNames;
    const [xs, z] = this.inProj(x);
    const u = hooks.run(names.hook_conv, this.conv1d.forward(xs, state?.conv ?? null));
    const [dt, B, C] = split(this.x_proj.forward(u), [this.dtRank, this.dState, this.dState], 2);
    // dt_proj without its bias: the scan adds the bias and applies the softplus in its own loop, unless a
    // hook wants delta itself.
    const dtIn = matmul(dt, this.dt_proj.weight, { transposeB: true });
    const dtBias = this.dt_proj.bias as Tensor;
    const seeDelta = hooks.wants(names.hook_delta);
    const delta = seeDelta ? hooks.run(names.hook_delta, softplus(add(dtIn, dtBias))) : dtIn;
    const A = neg(exp(this.A_log));
    const { out, lastState } = selectiveScan(
      u,
      delta,
      A,
      hooks.run(names.hook_B, B),
      hooks.run(names.hook_C, C),
      this.D,
      z,
      { deltaBias: seeDelta ? null : dtBias, deltaSoftplus: !seeDelta, initialState: state?.ssm ?? null },
    );
    if (state) state.ssm.set(lastState.data);
    return this.out_proj.forward(hooks.run(names.hook_y, out));
  }

  /**
   * in_proj(x) cut into the conv's input and the gate z. Cutting the weight in two gives the same halves
   * without copying (and, backward, zero-padding) the [B, T, 2 d_inner] output; with fewer tokens than
   * the width (generation) the output is the smaller thing to cut.
   */
  private inProj(x: Tensor): [Tensor, Tensor] {
    if (x.shape[0] * x.shape[1] < this.dim) {
      const [xs, z] = split(this.in_proj.forward(x), this.dInner, 2);
      return [xs, z];
    }
    const bias = this.in_proj.bias;
    const half = (from: number, to: number) =>
      linear(x, slice(this.in_proj.weight, 0, from, to), bias ? slice(bias, 0, from, to) : null);
    return [half(0, this.dInner), half(this.dInner, 2 * this.dInner)];
  }

  private stateFor(state: MixerState | null, batch: number): MambaState | null {
    if (state === null) return null;
    if (!(state instanceof MambaState)) throw new Error(`mamba: expected a mamba state, got a ${state.kind}`);
    if (state.batch !== batch || state.dInner !== this.dInner || state.dState !== this.dState) {
      throw new Error(
        `mamba: state is for batch ${state.batch}, d_inner ${state.dInner}, d_state ${state.dState}; got batch ${batch} for d_inner ${this.dInner}, d_state ${this.dState}`,
      );
    }
    return state;
  }
}
