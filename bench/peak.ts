// The machine's fp32 FMA peak on 1 and 2 threads (native/src/peak.cc): the ceiling every GEMM figure is
// read against (`bench -- matmul` prints each product as a share of it). Options: --threads 1,2
import { measurePeak } from '../src/backend/index.js';
import { option, progress, type Row, report, row } from './_report.js';

const rows: Row[] = [];
for (const threads of option('threads', '1,2').split(',').map(Number)) {
  progress(`FMA probe, ${threads} thread(s)...`);
  const peak = measurePeak(threads, 200);
  if (peak === null) throw new Error('bench peak: the native addon is not built (npm run build:native)');
  rows.push(
    row({
      bench: 'peak',
      case: 'fp32 FMA',
      metric: 'GFLOP/s',
      ours: peak,
      peer: null,
      theirs: null,
      threads,
    }),
  );
}
report(rows, [
  `best of 200 tries of ~1 ms each; ${(rows[0].ours / 32).toFixed(2)} G vector FMAs/s per thread (16-wide)`,
]);
