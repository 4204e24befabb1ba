// Small dense linear algebra in float64 for the relation probes (probe.ts): ridge least squares by
// Cholesky, and the SVD and pseudo-inverse of a relation's weight. Hand-written because the tensor layer is
// float32 with no factorisations, and these matrices are the model's width across (tens to hundreds), where
// the textbook O(d^3) methods take milliseconds and float64 keeps ill-conditioned fits meaningful.

/** A row-major matrix of float64. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function matrix(rows: number, cols: number, data = new Float64Array(rows * cols)): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`matrix: bad size ${rows} x ${cols}`);
  }
  if (data.length !== rows * cols)
    throw new Error(`matrix: ${data.length} values cannot be ${rows} x ${cols}`);
  return { rows, cols, data };
}

/** The matrix whose rows are `rows` (all of one length). */
export function fromRows(rows: readonly Float64Array[], what = 'fromRows'): Matrix {
  const cols = rows[0]?.length ?? 0;
  const out = matrix(rows.length, cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`${what}: row ${i} has ${r.length} values, row 0 has ${cols}`);
    out.data.set(r, i * cols);
  });
  return out;
}

/** a b, with either side transposed first. */
export function multiply(
  a: Matrix,
  b: Matrix,
  options: { transposeA?: boolean; transposeB?: boolean } = {},
): Matrix {
  const [ta, tb] = [options.transposeA ?? false, options.transposeB ?? false];
  const [m, k] = ta ? [a.cols, a.rows] : [a.rows, a.cols];
  const [k2, n] = tb ? [b.cols, b.rows] : [b.rows, b.cols];
  if (k !== k2) {
    throw new Error(`multiply: ${m} x ${k} times ${k2} x ${n} (shapes after transposing) do not chain`);
  }
  const at = (i: number, p: number) => (ta ? a.data[p * a.cols + i] : a.data[i * a.cols + p]);
  const bt = (p: number, j: number) => (tb ? b.data[j * b.cols + p] : b.data[p * b.cols + j]);
  const out = matrix(m, n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const v = at(i, p);
      if (v === 0) continue;
      for (let j = 0; j < n; j++) out.data[i * n + j] += v * bt(p, j);
    }
  }
  return out;
}

export function transpose(a: Matrix): Matrix {
  const out = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

/** a x for a vector x. */
export function apply(a: Matrix, x: ArrayLike<number>): Float64Array {
  if (x.length !== a.cols)
    throw new Error(`apply: a ${a.rows} x ${a.cols} matrix times a vector of ${x.length}`);
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let acc = 0;
    for (let j = 0; j < a.cols; j++) acc += a.data[i * a.cols + j] * x[j];
    out[i] = acc;
  }
  return out;
}

/** X for A X = B with A symmetric positive definite, by Cholesky (A = L L^T). */
export function choleskySolve(a: Matrix, b: Matrix): Matrix {
  const n = a.rows;
  if (a.cols !== n || b.rows !== n) {
    throw new Error(`choleskySolve: A is ${a.rows} x ${a.cols}, B is ${b.rows} x ${b.cols}`);
  }
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a.data[j * n + j];
    for (let p = 0; p < j; p++) d -= L[j * n + p] ** 2;
    // Relative to the diagonal: a pivot lost to rounding is as singular as a zero one.
    if (!(d > 1e-13 * Math.abs(a.data[j * n + j]))) {
      throw new Error(
        `choleskySolve: the matrix is not positive definite (pivot ${d} at row ${j}); add a ridge`,
      );
    }
    L[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let v = a.data[i * n + j];
      for (let p = 0; p < j; p++) v -= L[i * n + p] * L[j * n + p];
      L[i * n + j] = v / L[j * n + j];
    }
  }
  const m = b.cols;
  const x = b.data.slice();
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let v = x[i * m + c];
      for (let p = 0; p < i; p++) v -= L[i * n + p] * x[p * m + c];
      x[i * m + c] = v / L[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let v = x[i * m + c];
      for (let p = i + 1; p < n; p++) v -= L[p * n + i] * x[p * m + c];
      x[i * m + c] = v / L[i * n + i];
    }
  }
  return matrix(n, m, x);
}

/**
 * B minimising ||X B - Y||^2 + lambda ||B||^2 (X is n x p, Y n x q). The normal equations are p x p; with
 * fewer samples than features they are solved in the dual, B = X^T (X X^T + lambda I)^-1 Y, which is the
 * same B and only n x n (and the minimum-norm fit when lambda is 0).
 */
export function ridge(x: Matrix, y: Matrix, lambda: number): Matrix {
  if (x.rows !== y.rows) throw new Error(`ridge: ${x.rows} rows of X but ${y.rows} of Y`);
  if (!(lambda >= 0)) throw new Error(`ridge: lambda must be >= 0, got ${lambda}`);
  const withRidge = (g: Matrix) => {
    for (let i = 0; i < g.rows; i++) g.data[i * g.rows + i] += lambda;
    return g;
  };
  if (x.rows >= x.cols) {
    return choleskySolve(
      withRidge(multiply(x, x, { transposeA: true })),
      multiply(x, y, { transposeA: true }),
    );
  }
  const alpha = choleskySolve(withRidge(multiply(x, x, { transposeB: true })), y);
  return multiply(x, alpha, { transposeA: true });
}

/**
 * The thin SVD A = U diag(S) V^T (r = min(m, n): U m x r, V n x r, S descending) by one-sided Jacobi
 * (Hestenes): rotate pairs of columns until all are orthogonal. It works on A itself rather than A^T A, so
 * small singular values keep their precision instead of being squared into rounding. A wide A is done as
 * its transpose, so there are never more columns than dimensions to make them orthogonal in.
 */
export function svd(a: Matrix): { U: Matrix; S: Float64Array; V: Matrix } {
  if (a.rows < a.cols) {
    const { U, S, V } = svd(transpose(a));
    return { U: V, S, V: U };
  }
  const [m, n] = [a.rows, a.cols];
  const u = a.data.slice();
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  // Columns this small are rounding noise of a rank-deficient A: rotating them would never settle.
  const negligible = (Number.EPSILON * a.data.reduce((acc, x) => acc + x * x, 0)) ** 2;
  const rotate = (x: Float64Array, rows: number, p: number, q: number, c: number, s: number) => {
    for (let i = 0; i < rows; i++) {
      const [xp, xq] = [x[i * n + p], x[i * n + q]];
      x[i * n + p] = c * xp - s * xq;
      x[i * n + q] = s * xp + c * xq;
    }
  };
  for (let sweep = 0, rotated = true; rotated; sweep++) {
    if (sweep === 100) throw new Error(`svd: no convergence after 100 sweeps on a ${m} x ${n} matrix`);
    rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let [alpha, beta, gamma] = [0, 0, 0];
        for (let i = 0; i < m; i++) {
          alpha += u[i * n + p] ** 2;
          beta += u[i * n + q] ** 2;
          gamma += u[i * n + p] * u[i * n + q];
        }
        if (alpha * beta <= negligible || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        rotate(u, m, p, q, c, c * t);
        rotate(v, n, p, q, c, c * t);
      }
    }
  }
  const norms = Array.from({ length: n }, (_, j) => {
    let acc = 0;
    for (let i = 0; i < m; i++) acc += u[i * n + j] ** 2;
    return Math.sqrt(acc);
  });
  const order = Array.from(norms.keys()).sort((x, y) => norms[y] - norms[x]);
  const U = matrix(m, n);
  const V = matrix(n, n);
  order.forEach((from, to) => {
    for (let i = 0; i < m; i++) U.data[i * n + to] = norms[from] > 0 ? u[i * n + from] / norms[from] : 0;
    for (let i = 0; i < n; i++) V.data[i * n + to] = v[i * n + from];
  });
  return { U, S: Float64Array.from(order, (j) => norms[j]), V };
}

/**
 * The Moore-Penrose pseudo-inverse V diag(1/S) U^T over the `rank` largest singular values (all by
 * default), dropping those below `rtol` times the largest as numerically zero.
 */
export function pinv(a: Matrix, options: { rank?: number; rtol?: number } = {}): Matrix {
  const { rank = Math.min(a.rows, a.cols), rtol = 1e-10 } = options;
  if (!Number.isInteger(rank) || rank < 1)
    throw new Error(`pinv: rank must be a positive integer, got ${rank}`);
  const { U, S, V } = svd(a);
  const r = S.length;
  const keep = S.filter((s, i) => i < rank && s > rtol * S[0]).length;
  const out = matrix(a.cols, a.rows);
  for (let k = 0; k < keep; k++) {
    for (let i = 0; i < a.cols; i++) {
      const vi = V.data[i * r + k] / S[k];
      for (let j = 0; j < a.rows; j++) out.data[i * a.rows + j] += vi * U.data[j * r + k];
    }
  }
  return out;
}
