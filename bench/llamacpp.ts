// Batch-1 greedy decoding of the same model in jielong and in llama.cpp: a llama-preset model is exported
// as GGUF and run by jielong's generate() and by llama.cpp through node-llama-cpp, on the same number of
// threads, in alternating windows (bench/_compare.ts). Each unit is a prompt of --context tokens, then
// --tokens greedy tokens; what is timed is the decoding after the first token (prefill excluded on both
// sides), as tokens per second. llama.cpp runs each of --llama-types, weights:KV cache: f32:F32 does the
// same arithmetic as jielong (float32 throughout, flash attention off; the greedy tokens are compared),
// f16:F16 is llama.cpp's usual setting (its default KV cache and attention, half the weight bytes). Its per-token cost includes
// node-llama-cpp's call into the native code and back, as any Node program using it pays.
// Options: --sizes 4x128,6x384 (layers x width; heads = width / 64, at least 4) --context 16 --tokens 128
//          --llama-types f32:F32,f16:F16 --threads 1 --windows 6 --window-ms 1500
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setNumThreads } from '../src/backend/index.js';
import { generate } from '../src/generate/index.js';
import { exportGGUF, type GGUFDtype } from '../src/interop/gguf/index.js';
import { LanguageModel, makeConfig } from '../src/model/index.js';
import { Generator, randint } from '../src/tensor/index.js';
import { BYTE_TO_UNICODE, ByteLevelBPE } from '../src/tokenizer/index.js';
import { alternate, type Peer, window, windowOptions } from './_compare.js';
import { compared, option, progress, type Row, report } from './_report.js';

const context = Number(option('context', '16'));
const tokens = Number(option('tokens', '128'));
const timing = windowOptions({ windows: 6, windowMs: 1500 });
// Bytes as tokens, no merges: a prompt of n ASCII letters is n tokens on both sides.
const tokenizer = new ByteLevelBPE(new Map(BYTE_TO_UNICODE.map((ch, b) => [ch, b])), []);
const promptIds = Array.from(randint(97, 123, [context], new Generator(1)).data);
const prompt = String.fromCharCode(...promptIds);

type NodeLlama = typeof import('node-llama-cpp');
type Token = import('node-llama-cpp').Token;

async function loadNodeLlama(): Promise<NodeLlama | null> {
  try {
    return await import('node-llama-cpp');
  } catch {
    return null;
  }
}

/** Times the decoding part of one greedy generation: from the first token to the last. */
async function ours(model: LanguageModel, out: number[]): Promise<number> {
  out.length = 0;
  let first = 0;
  for await (const step of generate(model, tokenizer, prompt, { temperature: 0, maxTokens: tokens })) {
    if (out.length === 0) first = performance.now();
    out.push(step.token);
  }
  return (performance.now() - first) / 1000;
}

/** llama.cpp's side: one context, its sequence cleared before each generation. */
async function llamaCppPeer(
  nodeLlama: NodeLlama,
  path: string,
  kv: 'F32' | 'F16',
  threads: number,
  out: number[],
) {
  const llama = await nodeLlama.getLlama({
    gpu: false,
    build: 'never',
    maxThreads: threads,
    logLevel: nodeLlama.LlamaLogLevel.error,
  });
  const model = await llama.loadModel({ modelPath: path });
  const ctx = await model.createContext({
    contextSize: context + tokens + 1,
    threads: { ideal: threads, min: threads },
    experimentalKvCacheKeyType: kv,
    experimentalKvCacheValueType: kv,
    // Its CPU flash attention rounds through float16 (4e-4 in log-probability, enough to flip near
    // ties): off where it is to do jielong's arithmetic, its default otherwise.
    flashAttention: kv === 'F32' ? false : 'auto',
  });
  const sequence = ctx.getSequence();
  const unit = async () => {
    await sequence.clearHistory();
    out.length = 0;
    let first = 0;
    for await (const token of sequence.evaluate(promptIds as Token[], { temperature: 0 })) {
      if (out.length === 0) first = performance.now();
      out.push(token);
      if (out.length === tokens) break;
    }
    return (performance.now() - first) / 1000;
  };
  await unit(); // warm-up, as alternate() warms ours
  const peer: Peer = { window: (ms) => window(unit, ms) };
  return {
    peer,
    close: async () => {
      await ctx.dispose();
      await model.dispose();
    },
  };
}

const nodeLlama = await loadNodeLlama();
const notes = [
  nodeLlama
    ? 'peer: llama.cpp (node-llama-cpp, prebuilt CPU binary); jielong runs float32 throughout'
    : 'peer: none (node-llama-cpp does not load here)',
  `decode tokens/s after a ${context}-token prompt, ${tokens} greedy tokens; best window/spread`,
];
const llamaTypes = option('llama-types', 'f32:F32,f16:F16')
  .split(',')
  .map((t) => t.split(':') as [GGUFDtype, 'F32' | 'F16']);
const rows: Row[] = [];
const dir = mkdtempSync(join(tmpdir(), 'jielong-bench-llamacpp-'));
try {
  for (const size of option('sizes', '4x128,6x384').split(',')) {
    const [layers, width] = size.split('x').map(Number);
    const config = makeConfig({
      preset: 'llama',
      vocabSize: 256,
      blockSize: context + tokens + 1,
      nLayer: layers,
      nEmbd: width,
      nHead: Math.max(4, width / 64),
    });
    const model = new LanguageModel(config, { seed: 0 }).eval();
    const name = `llama L${layers} d${width} h${config.nHead}`;
    for (const [dtype, kv] of llamaTypes) {
      const path = join(dir, `${size}-${dtype}.gguf`);
      exportGGUF({ model, tokenizer }, path, { dtype });
      for (const threads of option('threads', '1').split(',').map(Number)) {
        setNumThreads(threads);
        const mine: number[] = [];
        const theirs: number[] = [];
        const side = nodeLlama ? await llamaCppPeer(nodeLlama, path, kv, threads, theirs) : null;
        const label = `${name}, llama.cpp ${dtype} weights ${kv} KV`;
        try {
          progress(`${label}, ${threads} thread(s)...`);
          const c = await alternate(() => ours(model, mine), side?.peer ?? null, timing);
          if (side) {
            const first = mine.findIndex((t, i) => t !== theirs[i]);
            progress(`  greedy tokens: ${first < 0 ? 'the same' : `differ from position ${first} on`}`);
          }
          const where = { bench: 'llamacpp', case: label, metric: 'decode tokens/s', threads };
          rows.push(compared({ ...where, peer: 'llama.cpp', peer_blas: null }, tokens - 1, c));
        } finally {
          await side?.close();
        }
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
report(rows, notes);
