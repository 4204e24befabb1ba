// Long short-term memory (Hochreiter & Schmidhuber 1997), one layer of torch.nn.LSTM (batch_first), with
// an output projection o_proj back to the model width when the hidden size differs from it.
//
//   i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)        input gate
//   f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)        forget gate
//   g_t = tanh   (W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)        candidate cell
//   o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)        output gate
//   c_t = f_t * c_{t-1} + i_t * g_t
//   h_t = o_t * tanh(c_t)
// weight_ih_l0 = [W_ii; W_if; W_ig; W_io] (4H x dim), weight_hh_l0 likewise (4H x H): PyTorch's layout.
//
// There is no parallel or chunkwise form: h_{t-1} enters every gate through a nonlinearity, so step t
// cannot start before step t-1 ends (the reason attention and the linear recurrences replaced it). What
// can be batched is: the input half of the gates for all t as one GEMM, then the recurrence in one fused
// kernel (lstmScan: forward keeps the gates and cells, backward is BPTT in reverse), spread over the batch.
// Generation carries (h, c), a constant-size state, and runs the same kernel on the new tokens.
//
import { type HookPoint, hookPoints, Linear, Module, uniform } from '../nn/index.js';
import { add, linear, Tensor } from '../tensor/index.js';
import { stateOf } from './layer.js';
import type { Mixer, MixerContext } from './mixer.js';
import { lstmScan } from './ops/lstm/op.js';
import { LSTMState } from './ops/lstm/state.js';
import type { MixerOptions } from './options.js';
import { positiveInt, type Settings, type SettingsSpec } from './settings.js';

/** Settings (mixerOptions.lstm): the hidden size, default the model width (no output projection). */
export const LSTM_SETTINGS = { lstmHidden: positiveInt((o) => o.dim) } satisfies SettingsSpec;

export class LSTM extends Module implements Mixer {
  readonly dim: number;
  readonly hidden: number;
  readonly weight_ih_l0: Tensor;
  readonly weight_hh_l0: Tensor;
  readonly bias_ih_l0: Tensor;
  readonly bias_hh_l0: Tensor;
  readonly o_proj: Linear | null;
  readonly points: Readonly<Record<'hook_h', HookPoint>>;

  constructor(o: MixerOptions<Settings<typeof LSTM_SETTINGS>>) {
    super();
    const hidden = o.settings.lstmHidden;
    this.dim = o.dim;
    this.hidden = hidden;
    // torch.nn.LSTM's init: every weight and bias U(-1/sqrt(H), 1/sqrt(H)).
    const bound = 1 / Math.sqrt(hidden);
    this.weight_ih_l0 = uniform([4 * hidden, o.dim], bound, o.generator);
    this.weight_hh_l0 = uniform([4 * hidden, hidden], bound, o.generator);
    this.bias_ih_l0 = uniform([4 * hidden], bound, o.generator);
    this.bias_hh_l0 = uniform([4 * hidden], bound, o.generator);
    this.o_proj =
      hidden === o.dim
        ? null
        : new Linear(hidden, o.dim, { bias: o.bias, std: o.projStd, generator: o.generator });
    this.points = hookPoints(o.name, ['hook_h']);
  }

  initState(batch: number, _capacity: number): LSTMState {
    return new LSTMState(batch, this.hidden);
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    const [batch, , width] = x.shape;
    if (x.ndim !== 3 || width !== this.dim) {
      throw new Error(`lstm: expected x [batch, seq, ${this.dim}], got [${x.shape}]`);
    }
    const state = stateOf('lstm', ctx.state, LSTMState, batch) ?? this.initState(batch, 0);
    // Both biases enter every step unchanged, so they are added once to the input half of the gates.
    const gx = linear(x, this.weight_ih_l0, add(this.bias_ih_l0, this.bias_hh_l0));
    const carried = (b: Float32Array) => new Tensor(b.slice(), [batch, this.hidden]);
    const scan = lstmScan(gx, this.weight_hh_l0, carried(state.h), carried(state.c));
    if (ctx.state !== null) {
      state.h.set(scan.h.data);
      state.c.set(scan.c.data);
    }
    const h = ctx.hooks.run(this.points.hook_h, scan.output);
    return this.o_proj ? this.o_proj.forward(h) : h;
  }
}
