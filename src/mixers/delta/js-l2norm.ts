// L2 normalisation of each group of D values (one head of q or k): y = x / sqrt(sum x^2 + eps).

type F32 = Float32Array;

function rstd(x: F32, row: number, D: number, eps: number): number {
  let s = 0;
  for (let i = 0; i < D; i++) s += x[row * D + i] ** 2;
  return 1 / Math.sqrt(s + eps);
}

export function l2Norm(x: F32, y: F32, rows: number, D: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const inv = rstd(x, r, D, eps);
    for (let i = 0; i < D; i++) y[r * D + i] = x[r * D + i] * inv;
  }
}

/** gx = (gy - y (y . gy)) / sqrt(sum x^2 + eps). */
export function l2NormGrad(x: F32, gy: F32, gx: F32, rows: number, D: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const inv = rstd(x, r, D, eps);
    let yg = 0;
    for (let i = 0; i < D; i++) yg += x[r * D + i] * inv * gy[r * D + i];
    for (let i = 0; i < D; i++) gx[r * D + i] = inv * (gy[r * D + i] - x[r * D + i] * inv * yg);
  }
}
