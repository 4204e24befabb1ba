// Autograd ops of the delta-rule mixers: the chunkwise recurrence (training and prefill), the token-by-token
// recurrence (generation) and the L2 normalisation of q and k (the short convolution is ../conv/). The
// kernels (kernels.ts) follow the equations below; naive.ts has the recurrence itself.
//
// The recurrence, per head, with state S [K, V] (S^T k is what the memory returns for key k):
//   S_t = exp(g_t) (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,    o_t = scale S_t^T q_t
// (DeltaNet is g = 0.) Equivalently S_t = a_t S_{t-1} + k_t u_t^T with the pseudo-value
// u_t = beta_t (v_t - a_t S_{t-1}^T k_t): erase what key k_t held, write v_t.
//
// Chunkwise form (WY representation / UT transform), for a chunk of C positions starting from S0, with
// gam_r = g_1 + ... + g_r inside the chunk and E_rj = exp(gam_r - gam_j):
//   A = strictly-lower(diag(beta) (E o K K^T)),   T = (I + A)^-1            (forward substitution)
//   W = T diag(beta exp(gam)) K,   U0 = T diag(beta) V,   U = U0 - W S0     (all pseudo-values at once)
//   O = scale (diag(exp(gam)) Q S0 + (lower-with-diagonal(E o Q K^T)) U)
//   S_C = exp(gam_C) S0 + (diag(exp(gam_C - gam)) K)^T U
// Only the last line runs chunk after chunk; everything else is dense C x C and C x D products. Backward
// walks the chunks in reverse, rebuilding each chunk's T, W, U from its saved start state.
import { isGradEnabled, record, Tensor } from '../../../tensor/index.js';
import { naiveOps } from '../form.js';
import { deltaKernels } from './kernels.js';
import { naiveDeltaRule, naiveL2Normalize } from './naive.js';

export interface DeltaRuleOptions {
  /** Multiplies every output (the reference uses K^-1/2). */
  scale: number;
  /** [B, H, K, V]: the state to start from, overwritten with the final state; zeros when absent. */
  state?: Float32Array;
}

function fail(op: string, what: string): never {
  throw new Error(`${op} (mixers/ops/delta/op.ts): ${what}`);
}

/** Checks q, k [B, T, H, K], v [B, T, H, V], beta and g [B, T, H]; returns the sizes. */
function sizesOf(
  op: string,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  beta: Tensor,
  g: Tensor | null,
  state?: Float32Array,
) {
  if (q.ndim !== 4 || v.ndim !== 4)
    fail(op, `expected q [B, T, H, K] and v [B, T, H, V], got [${q.shape}] and [${v.shape}]`);
  const [B, T, H, K] = q.shape;
  const V = v.shape[3];
  const same = (t: Tensor, shape: number[]) =>
    t.shape.length === shape.length && t.shape.every((s, i) => s === shape[i]);
  if (!same(k, [B, T, H, K]) || !same(v, [B, T, H, V]))
    fail(op, `k [${k.shape}] and v [${v.shape}] do not match q [${q.shape}]`);
  if (!same(beta, [B, T, H])) fail(op, `beta must be [${[B, T, H]}], got [${beta.shape}]`);
  if (g && !same(g, [B, T, H])) fail(op, `g must be [${[B, T, H]}], got [${g.shape}]`);
  if (state && state.length !== B * H * K * V)
    fail(op, `state holds ${state.length} values, expected B*H*K*V = ${B * H * K * V}`);
  return { B, T, H, K, V };
}

/** The chunkwise delta rule: o [B, T, H, V], differentiable in q, k, v, beta and g. */
export function chunkDeltaRule(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  beta: Tensor,
  g: Tensor | null,
  options: DeltaRuleOptions & { chunkSize: number },
): Tensor {
  const { B, T, H, K, V } = sizesOf('chunkDeltaRule', q, k, v, beta, g, options.state);
  const C = options.chunkSize;
  if (!Number.isInteger(C) || C < 1) fail('chunkDeltaRule', `chunkSize must be a positive integer, got ${C}`);
  if (naiveOps()) return naive(q, k, v, beta, g, options);
  const { scale } = options;
  const state = options.state ?? new Float32Array(B * H * K * V);
  const o = new Float32Array(B * T * H * V);
  const states = new Float32Array(B * H * Math.ceil(T / C) * K * V);
  const kern = deltaKernels();
  kern.chunkForward(
    q.data,
    k.data,
    v.data,
    beta.data,
    g?.data ?? null,
    o,
    states,
    state,
    B,
    T,
    H,
    K,
    V,
    C,
    scale,
  );
  const inputs = g ? [q, k, v, beta, g] : [q, k, v, beta];
  return record('chunkDeltaRule', new Tensor(o, [B, T, H, V]), inputs, (gO) => {
    const gq = new Float32Array(q.data.length);
    const gk = new Float32Array(k.data.length);
    const gv = new Float32Array(v.data.length);
    const gbeta = new Float32Array(beta.data.length);
    const gg = g ? new Float32Array(g.data.length) : null;
    kern.chunkBackward(
      q.data,
      k.data,
      v.data,
      beta.data,
      g?.data ?? null,
      states,
      gO.data,
      gq,
      gk,
      gv,
      gbeta,
      gg,
      B,
      T,
      H,
      K,
      V,
      C,
      scale,
    );
    const grads = [q.withData(gq), k.withData(gk), v.withData(gv), beta.withData(gbeta)];
    return g && gg ? [...grads, g.withData(gg)] : grads;
  });
}

/** The token-by-token recurrence from (and updating) options.state: forward only, for generation. */
export function recurrentDeltaRule(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  beta: Tensor,
  g: Tensor | null,
  options: Required<DeltaRuleOptions>,
): Tensor {
  const { B, T, H, K, V } = sizesOf('recurrentDeltaRule', q, k, v, beta, g, options.state);
  if (isGradEnabled() && [q, k, v, beta, g].some((t) => t?.requiresGrad)) {
    fail('recurrentDeltaRule', 'has no backward (it is the generation step); use chunkDeltaRule to train');
  }
  if (naiveOps()) return naive(q, k, v, beta, g, options);
  const o = new Float32Array(B * T * H * V);
  deltaKernels().recurrentForward(
    q.data,
    k.data,
    v.data,
    beta.data,
    g?.data ?? null,
    o,
    options.state,
    B,
    T,
    H,
    K,
    V,
    options.scale,
  );
  return new Tensor(o, [B, T, H, V]);
}

/** x / sqrt(sum x^2 + eps) over each group of `groupSize` consecutive values of the last dim (one head). */
export function l2Normalize(x: Tensor, groupSize: number, eps = 1e-6): Tensor {
  const width = x.shape[x.ndim - 1];
  if (!Number.isInteger(groupSize) || groupSize < 1 || width % groupSize !== 0) {
    fail('l2Normalize', `group size ${groupSize} does not divide the last dim of [${x.shape}]`);
  }
  if (naiveOps()) return naiveL2Normalize(x, groupSize, eps);
  const rows = x.data.length / groupSize;
  const kern = deltaKernels();
  const y = new Float32Array(x.data.length);
  kern.l2Norm(x.data, y, rows, groupSize, eps);
  return record('l2Normalize', x.withData(y), [x], (gy) => {
    const gx = new Float32Array(x.data.length);
    kern.l2NormGrad(x.data, gy.data, gx, rows, groupSize, eps);
    return [x.withData(gx)];
  });
}

/** The naive recurrence in place of the kernels, continuing from and updating the state as they do. */
function naive(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  beta: Tensor,
  g: Tensor | null,
  options: DeltaRuleOptions,
): Tensor {
  const [B, , H, K] = q.shape;
  const state = options.state;
  const s0 = state ? new Tensor(state.slice(), [B, H, K, v.shape[3]]) : undefined;
  const r = naiveDeltaRule(q, k, v, beta, g, options.scale, s0);
  state?.set(r.state.data);
  return r.o;
}
