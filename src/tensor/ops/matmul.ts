// Batched matrix multiply with transpose flags. Transposes are never materialised: the GEMM kernel reads
// either layout, and backward is four more GEMMs with the flags flipped.
import { backend } from '../../backend/index.js';
import { record } from '../autograd.js';
import { broadcastShapes, fmt, numel, type Shape } from '../shape.js';
import { uninitialized } from '../storage.js';
import { Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';
import { expand, reshape } from './shape.js';

export interface MatmulOptions {
  /** Use the last two dims of `a` transposed (a is [..., k, m]). */
  transposeA?: boolean;
  /** Use the last two dims of `b` transposed (b is [..., n, k]); `linear` uses this for x @ W^T. */
  transposeB?: boolean;
}

/**
 * out[i] = op(a[i]) @ op(b[i]) for `batch` entries; a `shared` operand is the same for every entry.
 * With `addTo`, the product is added to that array (beta = 1) and it is returned.
 */
function gemm(
  a: Float32Array,
  b: Float32Array,
  batch: number,
  shared: { a: boolean; b: boolean },
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  addTo?: Float32Array,
): Float32Array {
  // k = 0 writes nothing: the product of empty matrices is zeros.
  const c = addTo ?? (k > 0 ? uninitialized(batch * m * n) : new Float32Array(batch * m * n));
  backend().gemm({
    batch,
    m,
    n,
    k,
    transA,
    transB,
    alpha: 1,
    beta: addTo ? 1 : 0,
    a,
    lda: transA ? m : k,
    strideA: shared.a ? 0 : m * k,
    b,
    ldb: transB ? k : n,
    strideB: shared.b ? 0 : k * n,
    c,
    ldc: n,
    strideC: m * n,
  });
  return c;
}

function matrixDims(t: Tensor, trans: boolean): [rows: number, cols: number] {
  const r = t.shape[t.ndim - 2];
  const c = t.shape[t.ndim - 1];
  return trans ? [c, r] : [r, c];
}

export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transposeA ?? false;
  const transB = options.transposeB ?? false;
  // Vectors: a 1-D a is a row, a 1-D b a column, and that dim is dropped from the result (torch.matmul).
  if (a.ndim === 1 && !transA) return squeezeAt(matmul(reshape(a, [1, a.shape[0]]), b, options), -2);
  if (b.ndim === 1 && !transB) return squeezeAt(matmul(a, reshape(b, [b.shape[0], 1]), options), -1);
  if (a.ndim < 2 || b.ndim < 2) {
    throw new Error(
      `matmul: transposed operands must be at least 2-D, got ${fmt(a.shape)} and ${fmt(b.shape)}`,
    );
  }
  const [m, k] = matrixDims(a, transA);
  const [k2, n] = matrixDims(b, transB);
  if (k !== k2) {
    const flags = `${transA ? ' transposeA' : ''}${transB ? ' transposeB' : ''}`;
    throw new Error(
      `matmul: shapes ${fmt(a.shape)} and ${fmt(b.shape)}${flags} do not match (k = ${k} vs ${k2})`,
    );
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batchShape = broadcastShapes('matmul', aBatch, bBatch);
  const batch = numel(batchShape);
  const outShape = [...batchShape, m, n];

  // A shared b and an untransposed a: fold a's batch into its rows, one big GEMM (the Linear layer case).
  if (numel(bBatch) === 1 && !transA && numel(aBatch) === batch) {
    const rows = batch * m;
    const out = gemm(a.data, b.data, 1, { a: false, b: false }, rows, n, k, false, transB);
    return record('matmul', new Tensor(out, outShape), [a, b], (g) => [
      a.requiresGrad
        ? a.withData(gemm(g.data, b.data, 1, { a: false, b: false }, rows, k, n, false, !transB))
        : null,
      b.requiresGrad
        ? b.withData(
            transB
              ? gemm(g.data, a.data, 1, { a: false, b: false }, n, k, rows, true, false)
              : gemm(a.data, g.data, 1, { a: false, b: false }, k, n, rows, true, false),
          )
        : null,
    ]);
  }

  // General case: operands whose batch is partly broadcast are expanded first (their gradient sums back
  // through expand); a fully shared operand is read at stride 0.
  const full = (t: Tensor, own: Shape) =>
    numel(own) === 1 || numel(own) === batch ? t : expand(t, [...batchShape, ...t.shape.slice(-2)]);
  const x = full(a, aBatch);
  const y = full(b, bBatch);
  const shared = { a: numel(x.shape.slice(0, -2)) === 1, b: numel(y.shape.slice(0, -2)) === 1 };
  const out = gemm(x.data, y.data, batch, shared, m, n, k, transA, transB);
  return record('matmul', new Tensor(out, outShape), [x, y], (g) => {
    const gx = !x.requiresGrad
      ? null
      : transA
        ? gemm(y.data, g.data, batch, { a: shared.b, b: false }, k, m, n, transB, true)
        : gemm(g.data, y.data, batch, { a: false, b: shared.b }, m, k, n, false, !transB);
    const gy = !y.requiresGrad
      ? null
      : transB
        ? gemm(g.data, x.data, batch, { a: false, b: shared.a }, n, k, m, true, transA)
        : gemm(x.data, g.data, batch, { a: shared.a, b: false }, k, n, m, !transA, false);
    const xShape = [...batchShape, ...x.shape.slice(-2)];
    const yShape = [...batchShape, ...y.shape.slice(-2)];
    return [
      gx ? sumTo(new Tensor(gx, xShape), x.shape) : null,
      gy ? sumTo(new Tensor(gy, yShape), y.shape) : null,
    ];
  });
}

function squeezeAt(t: Tensor, dim: number): Tensor {
  const d = dim < 0 ? dim + t.ndim : dim;
  return reshape(
    t,
    t.shape.filter((_, i) => i !== d),
  );
}

/**
 * x @ weight^T + bias, with weight [out_features, in_features] (torch.nn.functional.linear). With a bias,
 * one fused op: the output starts as the bias rows and the GEMM adds into it (no separate add pass), and
 * the bias gradient is the column sum of the output gradient.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (!bias) return matmul(x, weight, { transposeB: true });
  const [outF, inF] = weight.shape;
  if (
    weight.ndim !== 2 ||
    x.ndim < 1 ||
    x.shape[x.ndim - 1] !== inF ||
    bias.ndim !== 1 ||
    bias.shape[0] !== outF
  ) {
    throw new Error(
      `linear: input ${fmt(x.shape)}, weight ${fmt(weight.shape)} and bias ${fmt(bias.shape)} do not fit`,
    );
  }
  const rows = x.data.length / inF;
  const y = uninitialized(rows * outF);
  for (let r = 0; r < rows; r++) y.set(bias.data, r * outF);
  const none = { a: false, b: false };
  gemm(x.data, weight.data, 1, none, rows, outF, inF, false, true, y);
  return record('linear', new Tensor(y, [...x.shape.slice(0, -1), outF]), [x, weight, bias], (g) => {
    let gb: Tensor | null = null;
    if (bias.requiresGrad) {
      gb = bias.withData(new Float32Array(outF));
      backend().sumAxis(g.data, gb.data, 1, rows, outF);
    }
    return [
      x.requiresGrad ? x.withData(gemm(g.data, weight.data, 1, none, rows, inF, outF, false, false)) : null,
      weight.requiresGrad
        ? weight.withData(gemm(g.data, x.data, 1, none, outF, inF, rows, true, false))
        : null,
      gb,
    ];
  });
}
