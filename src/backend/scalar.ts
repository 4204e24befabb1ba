// Scalar definitions of the pointwise ops and their derivatives: the math every backend must agree with.
import type { BinaryOp, UnaryOp } from './backend.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_TANH_C = 0.044715;
const SOFTPLUS_THRESHOLD = 20; // as torch.nn.functional.softplus: linear above it, avoiding exp overflow

/**
 * erfc(z) for z >= 0 by the Chebyshev fit of Numerical Recipes (relative error < 1.2e-7 everywhere), so
 * tails keep their precision: GELU of a negative input is x * erfc(-x / sqrt 2) / 2, with no cancellation.
 */
export function erfcNonNegative(z: number): number {
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(-z * z + poly);
}

/** Phi(x), the standard normal CDF. */
export function normalCdf(x: number): number {
  const half = 0.5 * erfcNonNegative(Math.abs(x) / Math.SQRT2);
  return x >= 0 ? 1 - half : half;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const normalPdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

export const UNARY: Record<UnaryOp, { f: (x: number) => number; df: (x: number) => number }> = {
  neg: { f: (x) => -x, df: () => -1 },
  exp: { f: Math.exp, df: Math.exp },
  log: { f: Math.log, df: (x) => 1 / x },
  sqrt: { f: Math.sqrt, df: (x) => 0.5 / Math.sqrt(x) },
  rsqrt: { f: (x) => 1 / Math.sqrt(x), df: (x) => -0.5 / (x * Math.sqrt(x)) },
  tanh: {
    f: Math.tanh,
    df: (x) => {
      const t = Math.tanh(x);
      return 1 - t * t;
    },
  },
  sigmoid: {
    f: sigmoid,
    df: (x) => {
      const s = sigmoid(x);
      return s * (1 - s);
    },
  },
  relu: { f: (x) => Math.max(x, 0), df: (x) => (x > 0 ? 1 : 0) },
  // Exact GELU, x * Phi(x) (PyTorch's default).
  gelu: { f: (x) => x * normalCdf(x), df: (x) => normalCdf(x) + x * normalPdf(x) },
  // GPT-2's tanh approximation (PyTorch's approximate='tanh').
  gelu_tanh: {
    f: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x))),
    df: (x) => {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * x * x);
    },
  },
  silu: {
    f: (x) => x * sigmoid(x),
    df: (x) => {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    },
  },
  softplus: {
    f: (x) => (x > SOFTPLUS_THRESHOLD ? x : Math.log1p(Math.exp(x))),
    df: (x) => (x > SOFTPLUS_THRESHOLD ? 1 : sigmoid(x)),
  },
  abs: { f: Math.abs, df: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0) },
  sin: { f: Math.sin, df: Math.cos },
  cos: { f: Math.cos, df: (x) => -Math.sin(x) },
  square: { f: (x) => x * x, df: (x) => 2 * x },
  reciprocal: { f: (x) => 1 / x, df: (x) => -1 / (x * x) },
};

export const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  minimum: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
};
