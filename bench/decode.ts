// Per-token generation latency and memory at long contexts: attention's KV cache grows with the context,
// so its step gets slower and bigger; a recurrent mixer's state is the same size at any position, so its
// step stays flat. For each mixer and context (1k, 4k, 16k tokens), a 2-layer model's state is brought to
// that position (attention: the cache filled with keys and values; recurrent: the state is position-free)
// and the next tokens are timed one at a time. Writes out/bench/decode.svg; --contexts, --mixers, --width.
import { join } from 'node:path';
import type { MixerKind } from '../src/mixers/index.js';
import { lineChart, writeSvg } from '../src/plot/index.js';
import { Generator, IntTensor, noGrad } from '../src/tensor/index.js';
import { mixersToRun, outputDir, smallModel } from './_mixers.js';
import { option, progress, type Row, report, row } from './_report.js';

const contexts = option('contexts', '1024,4096,16384').split(',').map(Number);
const width = Number(option('width', '128'));
const steps = Number(option('steps', '20'));
const windows = Number(option('windows', '7'));
const capacity = (context: number) => context + steps * windows + 2;
const vocabSize = 256;

function measure(kind: MixerKind, context: number): { msPerToken: number; stateBytes: number } {
  const model = smallModel(kind, { vocabSize, width, layers: 2, heads: 4, blockSize: capacity(context) });
  model.eval();
  const state = model.newState(1, capacity(context));
  const g = new Generator(3);
  // Stand in for a prompt of `context` tokens: the cost of a step depends on how much state there is,
  // not on what it holds. Attention's cache gets random keys and values; recurrent states stay as they are.
  for (const layer of state.layers) {
    const cache = layer as unknown as { k?: Float32Array; v?: Float32Array };
    if (cache.k && cache.v)
      for (const buf of [cache.k, cache.v]) for (let i = 0; i < buf.length; i++) buf[i] = g.normal();
  }
  state.pos = context;
  const token = new IntTensor(Int32Array.from([1]), [1, 1]);
  return noGrad(() => {
    model.forward(token, { state }); // warm-up
    // The best of several windows: the machine is shared, and the least disturbed window is the truest.
    let msPerToken = Number.POSITIVE_INFINITY;
    for (let w = 0; w < windows; w++) {
      const start = performance.now();
      for (let i = 0; i < steps; i++) model.forward(token, { state });
      msPerToken = Math.min(msPerToken, (performance.now() - start) / steps);
    }
    const stateBytes = state.layers.reduce((sum, s) => sum + s.bytes(), 0);
    return { msPerToken, stateBytes };
  });
}

const rows: Row[] = [];
const latency: { name: string; points: [number, number][] }[] = [];
for (const kind of mixersToRun()) {
  const points: [number, number][] = [];
  for (const context of contexts) {
    const { msPerToken, stateBytes } = measure(kind, context);
    progress(
      `${kind} @${context}: ${msPerToken.toFixed(3)} ms/token, state ${(stateBytes / 1024).toFixed(0)} KiB`,
    );
    points.push([context, msPerToken]);
    const name = `${kind} ctx ${context}`;
    rows.push(
      row({ bench: 'decode', case: name, metric: 'ms/token', ours: msPerToken, peer: null, theirs: null }),
    );
    rows.push(
      row({
        bench: 'decode',
        case: name,
        metric: 'state KiB',
        ours: stateBytes / 1024,
        peer: null,
        theirs: null,
      }),
    );
  }
  const flat = Math.max(...points.map((p) => p[1])) / Math.min(...points.map((p) => p[1]));
  rows.push(
    row({
      bench: 'decode',
      case: `${kind} slowest/fastest`,
      metric: 'ratio',
      ours: flat,
      peer: null,
      theirs: null,
    }),
  );
  latency.push({ name: kind, points });
}
report(rows);
const path = join(outputDir(), 'decode.svg');
writeSvg(
  path,
  lineChart({
    title: `Per-token decode latency (2 layers, width ${width})`,
    xLabel: 'context (tokens)',
    yLabel: 'ms per token',
    series: latency,
    logX: true,
  }),
);
progress(`wrote ${path}`);
