// Optimizers over parameter groups, as torch.optim. A group overrides the defaults for its parameters
// (the usual use: no weight decay on norms and biases).
import { backend } from '../backend/index.js';
import type { Tensor } from '../tensor/index.js';

export type ParamGroup<O> = { params: Tensor[] } & Partial<O>;
type Params<O> = Tensor[] | ParamGroup<O>[];

function groups<O>(params: Params<O>, defaults: O): ({ params: Tensor[] } & O)[] {
  const list =
    params.length > 0 && !(params[0] as ParamGroup<O>).params
      ? [{ params: params as Tensor[] }]
      : (params as ParamGroup<O>[]);
  return list.map((g) => ({ ...defaults, ...g }));
}

export abstract class Optimizer<O> {
  readonly paramGroups: ({ params: Tensor[] } & O)[];

  constructor(params: Params<O>, defaults: O) {
    this.paramGroups = groups(params, defaults);
  }

  abstract step(): void;

  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }
}

export interface SGDOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** Stochastic gradient descent with optional momentum (torch.optim.SGD). */
export class SGD extends Optimizer<SGDOptions> {
  private velocity = new Map<Tensor, Float32Array>();

  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, { lr: 1e-2, momentum: 0, weightDecay: 0, ...options });
  }

  step(): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (!p.grad) continue;
        const g = p.grad.data;
        const v = this.velocity.get(p) ?? new Float32Array(g.length);
        this.velocity.set(p, v);
        for (let i = 0; i < g.length; i++) {
          const d = g[i] + group.weightDecay * p.data[i];
          v[i] = group.momentum * v[i] + d;
          p.data[i] -= group.lr * (group.momentum ? v[i] : d);
        }
      }
    }
  }
}

export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** Adam with decoupled weight decay (torch.optim.AdamW), one fused kernel per parameter. */
export class AdamW extends Optimizer<AdamWOptions> {
  /** First and second moments per parameter. */
  readonly state = new Map<Tensor, { m: Float32Array; v: Float32Array }>();
  stepCount = 0;

  constructor(params: Params<AdamWOptions>, options: Partial<AdamWOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, ...options });
  }

  step(): void {
    this.stepCount++;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (!p.grad) continue;
        const s = this.state.get(p) ?? { m: new Float32Array(p.numel()), v: new Float32Array(p.numel()) };
        this.state.set(p, s);
        const [beta1, beta2] = group.betas;
        backend().adamw(
          p.data,
          p.grad.data,
          s.m,
          s.v,
          group.lr,
          beta1,
          beta2,
          group.eps,
          group.weightDecay,
          this.stepCount,
        );
      }
    }
  }
}
