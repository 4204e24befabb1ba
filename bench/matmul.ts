// GEMM throughput: native on 1 and 2 threads (and js, the oracle, on the small shapes) against PyTorch + its
// BLAS on the same shapes, in alternating windows, each also as a share of the machine's FMA peak. Both
// sides write into an output allocated once (torch.matmul(out=)), so the figure is the kernel's: a fresh
// 16 MiB output per call measures the allocator and the VM's page faults, which swung both sides 3x here.
// Shapes are m x k x n; "tA"/"tB" mean that operand is stored transposed (what backward passes use:
// dX = dY W is plain, dW = dY^T X reads A transposed, Y = X W^T reads B transposed).
// Options: --threads 1,2 --windows N --window-ms MS
import { backend, measurePeak, setBackend, setNumThreads } from '../src/backend/index.js';
import { randn } from '../src/tensor/index.js';
import { alternate, windowOptions } from './_compare.js';
import { withPeer } from './_peer.js';
import { compared, option, progress, type Row, report } from './_report.js';

interface Case {
  name: string;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
}

const cases: Case[] = [];
const add = (m: number, k: number, n: number, transA = false, transB = false) => {
  const flags = `${transA ? ' tA' : ''}${transB ? ' tB' : ''}`;
  cases.push({ name: `${m}x${k}x${n}${flags}`, m, k, n, transA, transB });
};
for (const s of [128, 256, 512, 1024]) add(s, s, s);
for (const [tA, tB] of [
  [true, false],
  [false, true],
  [true, true],
]) {
  add(512, 512, 512, tA, tB);
}
for (const [tA, tB] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
]) {
  add(4096, 256, 1024, tA, tB);
}

const JS_MAX_FLOPS = 2 * 256 ** 3; // the js reference is ~100x slower: keep it to the small shapes
const timing = windowOptions({ windows: 20, windowMs: 30 });
const flops = (c: Case) => 2 * c.m * c.n * c.k;

/** One C = op(A) op(B) through the active backend, what matmul runs once it has its output. */
function product({ m, k, n, transA, transB }: Case) {
  const a = randn(transA ? [k, m] : [m, k]).data;
  const b = randn(transB ? [n, k] : [k, n]).data;
  const c = new Float32Array(m * n);
  // Built once: spreading 17 fields into a fresh object per call cost ~4 us, 20% of a 128^3 product.
  const args = { batch: 1, m, n, k, transA, transB, alpha: 1, beta: 0, a, b, c };
  const g = { ...args, lda: transA ? m : k, strideA: 0, ldb: transB ? k : n, strideB: 0, ldc: n, strideC: 0 };
  return () => {
    backend().gemm(g);
    return undefined;
  };
}

const rows: Row[] = [];
const notes: string[] = [];
for (const threads of option('threads', '1,2').split(',').map(Number)) {
  setBackend('native');
  const peak = measurePeak(threads);
  notes.push(`fp32 FMA peak, ${threads} thread(s): ${peak?.toFixed(0) ?? '-'} GFLOP/s`);
  setNumThreads(threads);
  await withPeer(threads, notes, async (peer) => {
    const pct = (gflops: number | null) => (peak && gflops !== null ? (100 * gflops) / peak : null);
    const run = async (c: Case, label: string) => {
      progress(`${label}, ${threads} thread(s)`);
      await peer?.load('matmul', c);
      const r = compared(
        { bench: 'matmul', case: label, metric: 'GFLOP/s', threads, peer_blas: peer?.info.blas ?? null },
        flops(c) / 1e9,
        await alternate(product(c), peer, timing),
      );
      rows.push({ ...r, peak_pct: pct(r.ours) ?? undefined, peak_pct_theirs: pct(r.theirs) });
    };
    for (const c of cases) await run(c, c.name);
    if (threads === 1) {
      setBackend('js');
      for (const c of cases.filter((x) => flops(x) <= JS_MAX_FLOPS)) await run(c, `${c.name} (js)`);
      setBackend('native');
    }
  });
}
report(rows, notes);
