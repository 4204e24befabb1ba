// Fused neural-network ops (torch.nn.functional): one kernel forward, one backward, rows over the last dim.
import { backend } from '../../backend/index.js';
import { record } from '../autograd.js';
import { defaultGenerator, type Generator } from '../rng.js';
import { fmt, normalizeDim } from '../shape.js';
import { uninitialized } from '../storage.js';
import { type IntTensor, Tensor } from '../tensor.js';
import { mul } from './elementwise.js';
import { transpose } from './shape.js';

function rowsOf(x: Tensor): [rows: number, cols: number] {
  const cols = x.ndim === 0 ? 1 : x.shape[x.ndim - 1];
  return [cols === 0 ? 0 : x.data.length / cols, cols];
}

/** Runs a last-dim op on another dim by swapping that dim to the end and back. */
function onDim(x: Tensor, dim: number, op: string, f: (t: Tensor) => Tensor): Tensor {
  const d = normalizeDim(op, dim, Math.max(x.ndim, 1));
  if (x.ndim === 0 || d === x.ndim - 1) return f(x);
  return transpose(f(transpose(x, d, -1)), d, -1);
}

export function softmax(x: Tensor, dim = -1): Tensor {
  return onDim(x, dim, 'softmax', (t) => {
    const [rows, cols] = rowsOf(t);
    const y = uninitialized(t.data.length);
    backend().softmax(t.data, y, rows, cols);
    return record('softmax', t.withData(y), [t], (g) => {
      const gx = uninitialized(y.length);
      backend().softmaxGrad(y, g.data, gx, rows, cols);
      return [t.withData(gx)];
    });
  });
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return onDim(x, dim, 'logSoftmax', (t) => {
    const [rows, cols] = rowsOf(t);
    const y = uninitialized(t.data.length);
    backend().logSoftmax(t.data, y, rows, cols);
    return record('logSoftmax', t.withData(y), [t], (g) => {
      const gx = uninitialized(y.length);
      backend().logSoftmaxGrad(y, g.data, gx, rows, cols);
      return [t.withData(gx)];
    });
  });
}

export interface CrossEntropyOptions {
  /** Targets equal to this contribute no loss and no gradient (default -100, as PyTorch). */
  ignoreIndex?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' for per-row losses. */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Softmax cross-entropy of logits [..., C] against integer targets [...], fused: the backward never
 * materialises the softmax (it recomputes it from the saved log-sum-exp).
 */
export function crossEntropy(logits: Tensor, targets: IntTensor, options: CrossEntropyOptions = {}): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const reduction = options.reduction ?? 'mean';
  const [rows, cols] = rowsOf(logits);
  if (targets.data.length !== rows || logits.ndim < 1) {
    throw new Error(
      `crossEntropy: logits ${fmt(logits.shape)} need one target per row, got ${fmt(targets.shape)}`,
    );
  }
  let counted = 0;
  for (const t of targets.data) {
    if (t === ignoreIndex) continue;
    if (!Number.isInteger(t) || t < 0 || t >= cols) {
      throw new Error(`crossEntropy: target ${t} is out of range for ${cols} classes`);
    }
    counted++;
  }
  const loss = new Float32Array(rows);
  const lse = new Float32Array(rows);
  backend().crossEntropy(logits.data, targets.data, rows, cols, ignoreIndex, loss, lse);

  let out: Tensor;
  let rowWeight: (g: Tensor) => Float32Array;
  if (reduction === 'none') {
    out = new Tensor(loss, logits.shape.slice(0, -1));
    rowWeight = (g) => g.data;
  } else {
    let total = 0;
    for (const l of loss) total += l;
    const scale = reduction === 'mean' ? 1 / counted : 1; // all ignored: NaN, as PyTorch
    out = new Tensor(new Float32Array([total * scale]), []);
    rowWeight = (g) => new Float32Array(rows).fill(g.data[0] * scale);
  }
  return record('crossEntropy', out, [logits], (g) => {
    const gx = uninitialized(logits.data.length);
    backend().crossEntropyGrad(logits.data, targets.data, lse, rowWeight(g), rows, cols, ignoreIndex, gx);
    return [logits.withData(gx)];
  });
}

function checkNormWeight(op: string, x: Tensor, w: Tensor | null | undefined): void {
  const cols = x.shape[x.ndim - 1];
  if (w && (w.ndim !== 1 || w.shape[0] !== cols)) {
    throw new Error(
      `${op}: parameter of shape ${fmt(w.shape)} does not match input ${fmt(x.shape)} (last dim ${cols})`,
    );
  }
}

/** Layer normalisation over the last dim (F.layer_norm with normalized_shape = [C]). */
export function layerNorm(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  checkNormWeight('layerNorm', x, weight);
  checkNormWeight('layerNorm', x, bias);
  const [rows, cols] = rowsOf(x);
  const out = uninitialized(x.data.length);
  const mean = uninitialized(rows);
  const rstd = uninitialized(rows);
  backend().layerNorm(x.data, weight?.data ?? null, bias?.data ?? null, rows, cols, eps, out, mean, rstd);
  const inputs = [x, weight, bias].filter((t): t is Tensor => !!t);
  return record('layerNorm', x.withData(out), inputs, (g) => {
    const gx = uninitialized(x.data.length);
    const gw = weight?.requiresGrad ? new Float32Array(cols) : null;
    const gb = bias?.requiresGrad ? new Float32Array(cols) : null;
    backend().layerNormGrad(x.data, weight?.data ?? null, mean, rstd, g.data, rows, cols, gx, gw, gb);
    const grads: (Tensor | null)[] = [x.withData(gx)];
    if (weight) grads.push(gw ? weight.withData(gw) : null);
    if (bias) grads.push(gb ? bias.withData(gb) : null);
    return grads;
  });
}

/** RMS normalisation over the last dim, x / sqrt(mean(x^2) + eps) * weight (Llama's RMSNorm). */
export function rmsNorm(x: Tensor, weight?: Tensor | null, eps = 1e-6): Tensor {
  checkNormWeight('rmsNorm', x, weight);
  const [rows, cols] = rowsOf(x);
  const out = uninitialized(x.data.length);
  const rstd = uninitialized(rows);
  backend().rmsNorm(x.data, weight?.data ?? null, rows, cols, eps, out, rstd);
  const inputs = weight ? [x, weight] : [x];
  return record('rmsNorm', x.withData(out), inputs, (g) => {
    const gx = uninitialized(x.data.length);
    const gw = weight?.requiresGrad ? new Float32Array(cols) : null;
    backend().rmsNormGrad(x.data, weight?.data ?? null, rstd, g.data, rows, cols, gx, gw);
    return weight ? [x.withData(gx), gw ? weight.withData(gw) : null] : [x.withData(gx)];
  });
}

/** Zeroes each element with probability p and scales the rest by 1/(1-p); identity when not training. */
export function dropout(
  x: Tensor,
  p = 0.5,
  training = true,
  generator: Generator = defaultGenerator,
): Tensor {
  if (p < 0 || p > 1) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const keep = 1 - p;
  const mask = new Float32Array(x.data.length);
  if (keep > 0) for (let i = 0; i < mask.length; i++) mask[i] = generator.random() < keep ? 1 / keep : 0;
  return mul(x, x.withData(mask));
}
