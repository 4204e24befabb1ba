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
// parallel over batch x d_inner, fused with the softplus, the D skip and the gate (ops/mamba/op.ts); its
// backward is the reverse scan, recomputing states from checkpoints saved every chunkSize steps. The conv
// is a fused op too (ops/conv/op.ts, shared with DeltaNet). Generation keeps a constant-size state
// (ops/mamba/state.ts): the last d_conv - 1 conv inputs and h [B, d_inner, d_state]; the same kernels
// continue from it, so one token is one recurrent step.
// Hook points: hook_conv (u), hook_delta, hook_B, hook_C, hook_y (gated y, into out_proj).
import {
  constant,
  type HookPoint,
  hookPoints,
  Linear,
  Module,
  markNoWeightDecay,
  parameter,
} from '../nn/index.js';
import {
  add,
  defaultGenerator,
  exp,
  linear,
  matmul,
  neg,
  slice,
  softplus,
  split,
  type Tensor,
} from '../tensor/index.js';
import { stateOf } from './layer.js';
import type { Mixer, MixerContext, MixerState } from './mixer.js';
import { CausalConv1d } from './ops/conv/op.js';
import { selectiveScan } from './ops/mamba/op.js';
import { MambaState } from './ops/mamba/state.js';
import type { MixerOptions } from './options.js';
import { positive, positiveInt, type Settings, type SettingsSpec } from './settings.js';

/** The reference dt init: dt log-uniform in [DT_MIN, DT_MAX], floored at DT_FLOOR. */
const DT_MIN = 0.001;
const DT_MAX = 0.1;
const DT_FLOOR = 1e-4;

const HOOKS = ['hook_conv', 'hook_delta', 'hook_B', 'hook_C', 'hook_y'] as const;

/** Settings (mixerOptions.mamba), with mamba_simple.py's defaults. */
export const MAMBA_SETTINGS = {
  expand: positive(2),
  dState: positiveInt(16),
  convSize: positiveInt(4),
  dtRank: positiveInt((o) => Math.ceil(o.dim / 16)),
  /** Steps between the scan states kept for the backward (memory vs recompute; results do not change). */
  chunkSize: positiveInt(64),
} satisfies SettingsSpec;

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
  readonly chunkSize: number;
  readonly points: Readonly<Record<(typeof HOOKS)[number], HookPoint>>;

  constructor(o: MixerOptions<Settings<typeof MAMBA_SETTINGS>>) {
    super();
    const s = o.settings;
    this.dim = o.dim;
    this.dInner = Math.floor(s.expand * o.dim);
    if (this.dInner < 1) {
      throw new Error(
        `mamba: setting expand must make expand * dim >= 1, got expand ${s.expand} for dim ${o.dim}`,
      );
    }
    this.dState = s.dState;
    this.dConv = s.convSize;
    this.dtRank = s.dtRank;
    this.chunkSize = s.chunkSize;
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
    this.A_log = markNoWeightDecay(parameter([dInner, dState], (i) => Math.log((i % dState) + 1)));
    this.D = constant([dInner], 1);
    this.out_proj = new Linear(dInner, o.dim, { bias: o.bias, std: o.projStd, generator: g });
    this.points = hookPoints(o.name, HOOKS);
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
    const names = this.points;
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
      {
        deltaBias: seeDelta ? null : dtBias,
        deltaSoftplus: !seeDelta,
        initialState: state?.ssm ?? null,
        chunkSize: this.chunkSize,
      },
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
    if (x.shape[0] * x.shape[1] < this.dim || this.in_proj.lora) {
      const [xs, z] = split(this.in_proj.forward(x), this.dInner, 2);
      return [xs, z];
    }
    const bias = this.in_proj.bias;
    const half = (from: number, to: number) =>
      linear(x, slice(this.in_proj.weight, 0, from, to), bias ? slice(bias, 0, from, to) : null);
    return [half(0, this.dInner), half(this.dInner, 2 * this.dInner)];
  }

  private stateFor(given: MixerState | null, batch: number): MambaState | null {
    const state = stateOf('mamba', given, MambaState, batch);
    if (
      state &&
      (state.dInner !== this.dInner || state.dState !== this.dState || state.dConv !== this.dConv)
    ) {
      throw new Error(
        `mamba: the state is for d_inner ${state.dInner}, d_state ${state.dState}, d_conv ${state.dConv}; this layer has ${this.dInner}, ${this.dState}, ${this.dConv}`,
      );
    }
    return state;
  }
}
