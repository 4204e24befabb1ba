// GEMM throughput: js and native (1 and 2 threads) against PyTorch + its BLAS on the same shapes.
// Shapes are m x k x n; "tA"/"tB" mean that operand is stored transposed (what backward passes use:
// dX = dY W is plain, dW = dY^T X reads A transposed, Y = X W^T reads B transposed).
import { setBackend, setNumThreads } from '../src/backend/index.js';
import { matmul, randn } from '../src/tensor/index.js';
import { runTorch } from './_peer.js';
import { progress, type Row, report, row, timeIt } from './_report.js';

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
add(512, 512, 512, true, false);
add(512, 512, 512, false, true);
add(512, 512, 512, true, true);
for (const [tA, tB] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
]) {
  add(4096, 256, 1024, tA, tB);
}

const JS_MAX_FLOPS = 2 * 512 ** 3; // the js reference is ~100x slower: keep it to the small shapes

function gflops(c: Case): number {
  const a = randn(c.transA ? [c.k, c.m] : [c.m, c.k]);
  const b = randn(c.transB ? [c.n, c.k] : [c.k, c.n]);
  const seconds = timeIt(() => matmul(a, b, { transposeA: c.transA, transposeB: c.transB }), 200, 3);
  return (2 * c.m * c.n * c.k) / seconds / 1e9;
}

const rows: Row[] = [];
for (const threads of [1, 2]) {
  progress(`PyTorch, ${threads} thread(s)...`);
  const torch = runTorch<{ name: string; gflops: number }>('matmul', { cases }, threads);
  const theirs = (c: Case) => torch?.find((t) => t.name === c.name)?.gflops ?? null;
  const peer = torch ? 'pytorch' : null;
  setBackend('native');
  setNumThreads(threads);
  for (const c of cases) {
    progress(`native ${c.name}, ${threads} thread(s)`);
    rows.push(
      row({
        bench: 'matmul',
        case: c.name,
        metric: 'GFLOP/s',
        ours: gflops(c),
        peer,
        theirs: theirs(c),
        threads,
      }),
    );
  }
  if (threads === 1) {
    setBackend('js');
    for (const c of cases.filter((x) => 2 * x.m * x.n * x.k <= JS_MAX_FLOPS)) {
      progress(`js ${c.name}`);
      rows.push(
        row({
          bench: 'matmul',
          case: `${c.name} (js)`,
          metric: 'GFLOP/s',
          ours: gflops(c),
          peer,
          theirs: theirs(c),
          threads,
        }),
      );
    }
  }
}
report(rows);
