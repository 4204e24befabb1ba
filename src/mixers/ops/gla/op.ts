// The gated-linear-attention ops on tensors: the chunkwise form with its fused backward (training, prefill)
// and the step-by-step recurrence (generation). The equations are in kernels.ts.
import { isGradEnabled, record, Tensor } from '../../../tensor/index.js';
import { naiveOps } from '../form.js';
import type { MatrixMemoryState } from '../matrix-state.js';
import { glaKernels } from './kernels.js';
import { naiveRecurrentGla } from './naive.js';

/** How the state forgets between steps: never, at a fixed rate per head, or by a learned per-key gate. */
export type Decay =
  /** Linear attention: S_t = S_{t-1} + k_t v_t^T. */
  | { kind: 'none' }
  /** RetNet: S_t = gamma_h S_{t-1} + k_t v_t^T, logGamma [heads]; not trained. */
  | { kind: 'head'; logGamma: Float32Array }
  /** GLA: S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T, g [B, T, H, K] the log decay (<= 0). */
  | { kind: 'key'; g: Tensor };

export interface GlaOptions {
  /** Multiplies q (1 / sqrt(K) in the references). */
  scale: number;
  /** Continue from this state and leave the final state in it; absent: start from zeros. */
  state?: MatrixMemoryState | null;
}

interface Dims {
  B: number;
  T: number;
  H: number;
  K: number;
  V: number;
}

function dimsOf(
  op: string,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  decay: Decay,
  state: MatrixMemoryState | null,
): Dims {
  const [B, T, H, K] = q.shape;
  const V = v.shape[3];
  const same = (t: Tensor, shape: number[]) => t.ndim === 4 && t.shape.every((s, i) => s === shape[i]);
  const ok =
    q.ndim === 4 &&
    same(k, [B, T, H, K]) &&
    same(v, [B, T, H, V]) &&
    (decay.kind !== 'key' || same(decay.g, [B, T, H, K])) &&
    (decay.kind !== 'head' || decay.logGamma.length === H);
  if (!ok) {
    const g =
      decay.kind === 'key'
        ? `, g [${decay.g.shape}]`
        : decay.kind === 'head'
          ? `, ${decay.logGamma.length} decays`
          : '';
    throw new Error(
      `${op}: expected q, k [B, T, H, K], v [B, T, H, V] and a decay per head or per key; got q [${q.shape}], k [${k.shape}], v [${v.shape}]${g}`,
    );
  }
  if (state && (state.batch !== B || state.heads !== H || state.headK !== K || state.headV !== V)) {
    throw new Error(
      `${op}: state holds [${state.batch}, ${state.heads}, ${state.headK}, ${state.headV}], inputs need [${B}, ${H}, ${K}, ${V}]`,
    );
  }
  return { B, T, H, K, V };
}

const gOf = (decay: Decay) => (decay.kind === 'key' ? decay.g.data : null);
const gHeadOf = (decay: Decay) => (decay.kind === 'head' ? decay.logGamma : null);

/**
 * o [B, T, H, V] by the chunkwise form (chunks of `chunkSize` steps), differentiable in q, k, v and a
 * per-key decay g. With a state it starts from it and writes the final state back.
 */
export function chunkGla(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  decay: Decay,
  options: GlaOptions & { chunkSize: number },
): Tensor {
  const { scale, chunkSize: C } = options;
  const state = options.state ?? null;
  const { B, T, H, K, V } = dimsOf('chunkGla', q, k, v, decay, state);
  if (!Number.isInteger(C) || C <= 0)
    throw new Error(`chunkGla: chunkSize must be a positive integer, got ${C}`);
  if (naiveOps()) return naive(q, k, v, decay, scale, state);
  const inputs = decay.kind === 'key' ? [q, k, v, decay.g] : [q, k, v];
  const g = gOf(decay);
  const gHead = gHeadOf(decay);
  const wantsGrad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  // The kernel overwrites the state in place; backward needs the one the chunk pass started from.
  const s0 = state ? (wantsGrad ? state.S.slice() : state.S) : null;
  const o = new Float32Array(B * T * H * V);
  glaKernels().chunkForward(
    q.data,
    k.data,
    v.data,
    g,
    gHead,
    s0,
    o,
    state?.S ?? null,
    B,
    T,
    H,
    K,
    V,
    C,
    scale,
  );
  return record('chunkGla', new Tensor(o, [B, T, H, V]), inputs, (gradOut) => {
    const dq = new Float32Array(q.data.length);
    const dk = new Float32Array(k.data.length);
    const dv = new Float32Array(v.data.length);
    const dg = g ? new Float32Array(g.length) : null;
    glaKernels().chunkBackward(
      q.data,
      k.data,
      v.data,
      g,
      gHead,
      s0,
      gradOut.data,
      dq,
      dk,
      dv,
      dg,
      B,
      T,
      H,
      K,
      V,
      C,
      scale,
    );
    const grads = [q.withData(dq), k.withData(dk), v.withData(dv)];
    return dg ? [...grads, q.withData(dg)] : grads;
  });
}

/** o [B, T, H, V] one step at a time from `state`, which it updates; forward only (generation). */
export function recurrentGla(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  decay: Decay,
  options: { scale: number; state: MatrixMemoryState },
): Tensor {
  const { B, T, H, K, V } = dimsOf('recurrentGla', q, k, v, decay, options.state);
  if (naiveOps()) return naive(q, k, v, decay, options.scale, options.state);
  const o = new Float32Array(B * T * H * V);
  glaKernels().recurrentForward(
    q.data,
    k.data,
    v.data,
    gOf(decay),
    gHeadOf(decay),
    options.state.S,
    o,
    B,
    T,
    H,
    K,
    V,
    options.scale,
  );
  return new Tensor(o, [B, T, H, V]);
}

/** The naive recurrence in place of the kernels, continuing from and updating the state as they do. */
function naive(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  decay: Decay,
  scale: number,
  state: MatrixMemoryState | null,
): Tensor {
  const [B, , H, K] = q.shape;
  const s0 = state ? new Tensor(state.S.slice(), [B, H, K, v.shape[3]]) : undefined;
  const { o, state: last } = naiveRecurrentGla(q, k, v, decay, scale, s0);
  state?.S.set(last.data);
  return o;
}
