// The native backend: a C++ Node-API addon (native/src) built by `npm install`. It works in place on the
// tensors' Float32Arrays. Arguments are flattened to numbers and typed arrays, which cross Node-API fastest.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type Backend, BINARY_OPS, type BinaryOp, UNARY_OPS, type UnaryOp } from './backend.js';

type F32 = Float32Array;
type MaybeF32 = Float32Array | null;

/** The addon's exports (native/src/addon.cc). */
interface Addon {
  gemm(
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    alpha: number,
    beta: number,
    a: F32,
    lda: number,
    strideA: number,
    b: F32,
    ldb: number,
    strideB: number,
    c: F32,
    ldc: number,
    strideC: number,
  ): void;
  unary(op: number, x: F32, out: F32): void;
  unaryGrad(op: number, x: F32, gy: F32, gx: F32): void;
  /** dims packs [rank, ...shape, ...aStrides, ...bStrides]. */
  binary(op: number, a: F32, b: F32, out: F32, dims: Int32Array): void;
  /** dims packs [rank, ...shape, ...strides]. */
  copyStrided(x: F32, out: F32, dims: Int32Array, offset: number): void;
  sumAxis(x: F32, out: F32, outer: number, size: number, inner: number): void;
  maxAxis(x: F32, out: F32, argmax: Int32Array, outer: number, size: number, inner: number): void;
  logsumexpAxis(x: F32, out: F32, outer: number, size: number, inner: number): void;
  cumsumAxis(x: F32, out: F32, outer: number, size: number, inner: number): void;
  softmax(x: F32, out: F32, rows: number, cols: number): void;
  softmaxGrad(y: F32, gy: F32, gx: F32, rows: number, cols: number): void;
  logSoftmax(x: F32, out: F32, rows: number, cols: number): void;
  logSoftmaxGrad(y: F32, gy: F32, gx: F32, rows: number, cols: number): void;
  crossEntropy(x: F32, t: Int32Array, rows: number, cols: number, ignore: number, loss: F32, lse: F32): void;
  crossEntropyGrad(
    x: F32,
    t: Int32Array,
    lse: F32,
    gLoss: F32,
    rows: number,
    cols: number,
    ignore: number,
    gx: F32,
  ): void;
  layerNorm(
    x: F32,
    w: MaybeF32,
    b: MaybeF32,
    rows: number,
    cols: number,
    eps: number,
    out: F32,
    mean: F32,
    rstd: F32,
  ): void;
  layerNormGrad(
    x: F32,
    w: MaybeF32,
    mean: F32,
    rstd: F32,
    gy: F32,
    rows: number,
    cols: number,
    gx: F32,
    gw: MaybeF32,
    gb: MaybeF32,
  ): void;
  rmsNorm(x: F32, w: MaybeF32, rows: number, cols: number, eps: number, out: F32, rstd: F32): void;
  rmsNormGrad(
    x: F32,
    w: MaybeF32,
    rstd: F32,
    gy: F32,
    rows: number,
    cols: number,
    gx: F32,
    gw: MaybeF32,
  ): void;
  adamw(
    p: F32,
    g: F32,
    m: F32,
    v: F32,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
  ): void;
  causalAttention: Backend['causalAttention'];
  causalAttentionGrad: Backend['causalAttentionGrad'];
  cachedAttention: Backend['cachedAttention'];
  rope: Backend['rope'];
  setNumThreads(n: number): void;
  getNumThreads(): number;
}

const ADDON_PATH = fileURLToPath(new URL('../../../build/Release/jielong.node', import.meta.url));

type Loaded = { ok: true; backend: Backend; addon: Addon } | { ok: false; reason: string };
let loaded: Loaded | null = null;

const unaryIndex = (op: UnaryOp) => UNARY_OPS.indexOf(op);
const binaryIndex = (op: BinaryOp) => BINARY_OPS.indexOf(op);

function wrap(addon: Addon): Backend {
  return {
    name: 'native',
    gemm: (g) =>
      addon.gemm(
        g.batch,
        g.m,
        g.n,
        g.k,
        g.transA,
        g.transB,
        g.alpha,
        g.beta,
        g.a,
        g.lda,
        g.strideA,
        g.b,
        g.ldb,
        g.strideB,
        g.c,
        g.ldc,
        g.strideC,
      ),
    unary: (op, x, out) => addon.unary(unaryIndex(op), x, out),
    unaryGrad: (op, x, gy, gx) => addon.unaryGrad(unaryIndex(op), x, gy, gx),
    binary: (op, a, b, out, l) =>
      addon.binary(
        binaryIndex(op),
        a,
        b,
        out,
        Int32Array.from([l.shape.length, ...l.shape, ...l.aStrides, ...l.bStrides]),
      ),
    copyStrided: (x, out, shape, strides, offset) =>
      addon.copyStrided(x, out, Int32Array.from([shape.length, ...shape, ...strides]), offset),
    sumAxis: addon.sumAxis,
    maxAxis: addon.maxAxis,
    logsumexpAxis: addon.logsumexpAxis,
    cumsumAxis: addon.cumsumAxis,
    softmax: addon.softmax,
    softmaxGrad: addon.softmaxGrad,
    logSoftmax: addon.logSoftmax,
    logSoftmaxGrad: addon.logSoftmaxGrad,
    crossEntropy: addon.crossEntropy,
    crossEntropyGrad: addon.crossEntropyGrad,
    layerNorm: addon.layerNorm,
    layerNormGrad: addon.layerNormGrad,
    rmsNorm: addon.rmsNorm,
    rmsNormGrad: addon.rmsNormGrad,
    causalAttention: addon.causalAttention,
    causalAttentionGrad: addon.causalAttentionGrad,
    cachedAttention: addon.cachedAttention,
    rope: addon.rope,
    adamw: (p, g, m, v, s) => addon.adamw(p, g, m, v, s.lr, s.beta1, s.beta2, s.eps, s.weightDecay, s.step),
  };
}

export function loadNative(): Loaded {
  if (loaded) return loaded;
  if (!existsSync(ADDON_PATH)) {
    loaded = { ok: false, reason: `addon not built (${ADDON_PATH} missing; run npm run build:native)` };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    loaded = { ok: true, backend: wrap(addon), addon };
  } catch (e) {
    loaded = { ok: false, reason: `addon failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  return loaded;
}

/** Worker threads used by native kernels (default: all cores, or JIELONG_THREADS). js is single-threaded. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  const native = loadNative();
  if (native.ok) native.addon.setNumThreads(n);
}

export function getNumThreads(): number {
  const native = loadNative();
  return native.ok ? native.addon.getNumThreads() : 1;
}

/** The addon's raw exports (for kernel families outside the core interface), or null when not built. */
export function nativeAddon(): Record<string, unknown> | null {
  const native = loadNative();
  return native.ok ? (native.addon as unknown as Record<string, unknown>) : null;
}
