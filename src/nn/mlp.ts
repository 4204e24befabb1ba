// The feed-forward half of a Transformer block: GPT-2's MLP (expand, GELU, project back) and Llama's SwiGLU
// (a SiLU-gated expansion). Hook points: `<name>.hook_pre` (before the nonlinearity), `<name>.hook_post`
// (after it: the "neurons" that ablation and key-value-memory views look at).
import { type Generator, gelu, mul, silu, type Tensor } from '../tensor/index.js';
import { type HookContext, hookPoints } from './hooks.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

const mlpPoints = (name: string) => hookPoints(name, ['hook_pre', 'hook_post']);

export interface MLPOptions {
  bias: boolean;
  /** Init std of the input projections and of the output projection (GPT-2 scales the latter down). */
  std: number;
  projStd: number;
  generator?: Generator;
}

export class MLP extends Module {
  readonly c_fc: Linear;
  readonly c_proj: Linear;
  readonly points: ReturnType<typeof mlpPoints>;

  constructor(dim: number, hidden: number, name: string, o: MLPOptions) {
    super();
    this.c_fc = new Linear(dim, hidden, { bias: o.bias, std: o.std, generator: o.generator });
    this.c_proj = new Linear(hidden, dim, { bias: o.bias, std: o.projStd, generator: o.generator });
    this.points = mlpPoints(name);
  }

  forward(x: Tensor, hooks: HookContext): Tensor {
    const pre = hooks.run(this.points.hook_pre, this.c_fc.forward(x));
    return this.c_proj.forward(hooks.run(this.points.hook_post, gelu(pre, 'tanh')));
  }
}

export class SwiGLU extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  readonly points: ReturnType<typeof mlpPoints>;

  constructor(dim: number, hidden: number, name: string, o: MLPOptions) {
    super();
    this.gate_proj = new Linear(dim, hidden, { bias: o.bias, std: o.std, generator: o.generator });
    this.up_proj = new Linear(dim, hidden, { bias: o.bias, std: o.std, generator: o.generator });
    this.down_proj = new Linear(hidden, dim, { bias: o.bias, std: o.projStd, generator: o.generator });
    this.points = mlpPoints(name);
  }

  forward(x: Tensor, hooks: HookContext): Tensor {
    const gate = hooks.run(this.points.hook_pre, this.gate_proj.forward(x));
    const post = hooks.run(this.points.hook_post, mul(silu(gate), this.up_proj.forward(x)));
    return this.down_proj.forward(post);
  }
}
