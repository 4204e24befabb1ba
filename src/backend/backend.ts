// The one small interface every backend implements. Kernels read and write plain Float32Arrays in place:
// tensors own their storage in JS, so the native addon works on the same memory without copies.
// `js` implements all of it readably and is the test oracle; `native` overrides what pays to be fast.

export const UNARY_OPS = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'tanh',
  'sigmoid',
  'relu',
  'gelu',
  'gelu_tanh',
  'silu',
  'softplus',
  'abs',
  'sin',
  'cos',
  'square',
  'reciprocal',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

/**
 * How a broadcasting binary op walks its operands: `shape` is the output shape (already collapsed to the
 * fewest dims), `aStrides`/`bStrides` are element strides into each input (0 on broadcast dims).
 */
export interface BroadcastLayout {
  shape: number[];
  aStrides: number[];
  bStrides: number[];
}

/**
 * C[i] = alpha * op(A[i]) @ op(B[i]) + beta * C[i] for i < batch, all row-major.
 * op(A) is m x k (A stored k x m when transA), op(B) is k x n (B stored n x k when transB).
 * A stride of 0 reuses that operand for every batch entry. beta = 0 ignores C's old contents.
 */
export interface Gemm {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  a: Float32Array;
  lda: number;
  strideA: number;
  b: Float32Array;
  ldb: number;
  strideB: number;
  c: Float32Array;
  ldc: number;
  strideC: number;
}

export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for bias correction. */
  step: number;
}

export interface Backend {
  readonly name: 'js' | 'native';

  gemm(g: Gemm): void;

  unary(op: UnaryOp, x: Float32Array, out: Float32Array): void;
  /** gx = gy * f'(x). */
  unaryGrad(op: UnaryOp, x: Float32Array, gy: Float32Array, gx: Float32Array): void;
  binary(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, layout: BroadcastLayout): void;
  /**
   * Strided gather into a contiguous `out` of `shape`: out[i0, i1, ...] = x[offset + i0*strides[0] + ...].
   * Permute, expand (stride 0) and slicing are all this one kernel.
   */
  copyStrided(x: Float32Array, out: Float32Array, shape: number[], strides: number[], offset: number): void;

  /** out[o, i] = sum over r of x[o, r, i]. */
  sumAxis(x: Float32Array, out: Float32Array, outer: number, size: number, inner: number): void;
  /** out[o, i] = max over r of x[o, r, i]; argmax holds the first r that attains it. */
  maxAxis(
    x: Float32Array,
    out: Float32Array,
    argmax: Int32Array,
    outer: number,
    size: number,
    inner: number,
  ): void;
  /** out[o, i] = log sum over r of exp(x[o, r, i]), computed stably. */
  logsumexpAxis(x: Float32Array, out: Float32Array, outer: number, size: number, inner: number): void;
  /** out[o, r, i] = sum over s <= r of x[o, s, i]. */
  cumsumAxis(x: Float32Array, out: Float32Array, outer: number, size: number, inner: number): void;

  /** Row-wise over the last dim of a rows x cols matrix. */
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  softmaxGrad(y: Float32Array, gy: Float32Array, gx: Float32Array, rows: number, cols: number): void;
  logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  logSoftmaxGrad(y: Float32Array, gy: Float32Array, gx: Float32Array, rows: number, cols: number): void;

  /** loss[r] = lse[r] - x[r, t[r]] (0 where t[r] == ignoreIndex); lse[r] = log sum exp x[r, :]. */
  crossEntropy(
    logits: Float32Array,
    targets: Int32Array,
    rows: number,
    cols: number,
    ignoreIndex: number,
    loss: Float32Array,
    lse: Float32Array,
  ): void;
  /** gx[r, c] = gLoss[r] * (softmax(x[r])[c] - [c == t[r]]), zero rows where t[r] == ignoreIndex. */
  crossEntropyGrad(
    logits: Float32Array,
    targets: Int32Array,
    lse: Float32Array,
    gLoss: Float32Array,
    rows: number,
    cols: number,
    ignoreIndex: number,
    gx: Float32Array,
  ): void;

  /** y = (x - mean) * rstd * weight + bias over the last dim; saves mean and rstd per row. */
  layerNorm(
    x: Float32Array,
    weight: Float32Array | null,
    bias: Float32Array | null,
    rows: number,
    cols: number,
    eps: number,
    out: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
  ): void;
  /** Writes gx; adds into gw and gb when given (so they can be zero-filled by the caller). */
  layerNormGrad(
    x: Float32Array,
    weight: Float32Array | null,
    mean: Float32Array,
    rstd: Float32Array,
    gy: Float32Array,
    rows: number,
    cols: number,
    gx: Float32Array,
    gw: Float32Array | null,
    gb: Float32Array | null,
  ): void;
  /** y = x * rstd * weight, rstd = 1 / sqrt(mean(x^2) + eps) over the last dim. */
  rmsNorm(
    x: Float32Array,
    weight: Float32Array | null,
    rows: number,
    cols: number,
    eps: number,
    out: Float32Array,
    rstd: Float32Array,
  ): void;
  rmsNormGrad(
    x: Float32Array,
    weight: Float32Array | null,
    rstd: Float32Array,
    gy: Float32Array,
    rows: number,
    cols: number,
    gx: Float32Array,
    gw: Float32Array | null,
  ): void;

  /**
   * Causal self-attention straight from the fused projection qkv [B, T, 3 * H * D] (q, k, v side by side,
   * heads interleaved as the c_attn output lays them out) into out [B, T, H * D]:
   * out_i = sum over j <= i of softmax_j(scale * q_i . k_j) v_j per head. Saves lse [B, H, T], the
   * log-sum-exp of each row's scores, so backward can rebuild the probabilities without storing them.
   */
  causalAttention(
    qkv: Float32Array,
    out: Float32Array,
    lse: Float32Array,
    batch: number,
    seq: number,
    heads: number,
    headDim: number,
    scale: number,
  ): void;
  /** Writes gqkv (same layout as qkv) from gy (layout of out). */
  causalAttentionGrad(
    qkv: Float32Array,
    out: Float32Array,
    lse: Float32Array,
    gy: Float32Array,
    gqkv: Float32Array,
    batch: number,
    seq: number,
    heads: number,
    headDim: number,
    scale: number,
  ): void;
  /**
   * Attention for generation with a KV cache: appends this step's k and v (from qkv [B, Tq, 3 * H * D]) to
   * kCache/vCache [B, H, capacity, D] at positions pos..pos+Tq-1, then attends each new query to every
   * cached position up to its own. Forward only.
   */
  cachedAttention(
    qkv: Float32Array,
    kCache: Float32Array,
    vCache: Float32Array,
    out: Float32Array,
    batch: number,
    seq: number,
    heads: number,
    headDim: number,
    pos: number,
    capacity: number,
    scale: number,
  ): void;
  /**
   * Rotary position embedding (the rotate-half form of GPT-NeoX and Hugging Face Llama) on the first
   * `rotatedHeads` heads of each row of x [B, T, rowWidth], in place: the pair (x_i, x_{i+D/2}) of a head
   * turns by angle pos * theta_i, with cos/sin tables [positions, D/2]; `inverse` turns back (backward).
   */
  rope(
    x: Float32Array,
    cos: Float32Array,
    sin: Float32Array,
    batch: number,
    seq: number,
    rowWidth: number,
    rotatedHeads: number,
    headDim: number,
    pos: number,
    inverse: boolean,
  ): void;

  /** One decoupled-weight-decay Adam step on a flat parameter, in place on p, m and v. */
  adamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamWStep): void;
}
