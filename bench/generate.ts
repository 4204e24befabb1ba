// Batch-1 greedy generation with the KV cache: a prompt, then --tokens new tokens, for the tiny GPT, ours
// vs the same weights in PyTorch with its own cache (bench/torch/generate.py), in alternating windows, as
// tokens per second.
// Ours runs twice: end to end through generate() (tokenizer, sampler, streaming decode), and as a bare loop
// of model.forward over a newState(1) state, which isolates the model. PyTorch runs the bare loop; it is
// the peer of both. The loop is also timed in its two phases: prefill (the prompt in one forward) and
// decode (one token per forward, attending over everything before it).
// Options: --context 16 (prompt tokens, i.e. how much context decoding starts from) --tokens 256
//          --preset gpt2|llama --width 128 --layers 4 --heads 4 --threads 1,2 --windows N --window-ms MS
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setNumThreads } from '../src/backend/index.js';
import { generate } from '../src/generate/index.js';
import { saveSafetensors } from '../src/io/index.js';
import { LanguageModel, makeConfig, type Preset } from '../src/model/index.js';
import { argmax, Generator, IntTensor, noGrad, randint, slice } from '../src/tensor/index.js';
import { BYTE_TO_UNICODE, ByteLevelBPE } from '../src/tokenizer/index.js';
import { alternate, type Unit, windowOptions } from './_compare.js';
import { withPeer } from './_peer.js';
import { compared, option, progress, type Row, report } from './_report.js';

const context = Number(option('context', '16'));
const tokens = Number(option('tokens', '256'));
const timing = windowOptions({ windows: 8, windowMs: 300 });
const config = makeConfig({
  preset: option('preset', 'gpt2') as Preset,
  vocabSize: 256, // the byte tokenizer's
  // generate() feeds its last token too (its logits go unused), hence one position more than the loop.
  blockSize: context + tokens,
  nLayer: Number(option('layers', '4')),
  nHead: Number(option('heads', '4')),
  nEmbd: Number(option('width', '128')),
});

const model = new LanguageModel(config, { seed: 0 }).eval();
// Bytes as tokens, no merges: token id = byte value, so a prompt of n ASCII letters is n tokens.
const tokenizer = new ByteLevelBPE(new Map(BYTE_TO_UNICODE.map((ch, b) => [ch, b])), []);
const promptIds = Array.from(randint(97, 123, [context], new Generator(1)).data);
const prompt = String.fromCharCode(...promptIds);

interface Timing {
  total: number;
  prefill: number;
  decode: number;
  tokens: number[];
}

/** The bare loop: prefill, then one forward per token, argmax of the last row each time. */
function forwardLoop(): Timing {
  return noGrad(() => {
    const start = performance.now();
    const state = model.newState(1);
    const last = (ids: number[]) => {
      const logits = model.forward(new IntTensor(Int32Array.from(ids), [1, ids.length]), { state });
      return argmax(slice(logits, 1, ids.length - 1)).data[0];
    };
    const out = [last(promptIds)];
    const prefilled = performance.now();
    while (out.length < tokens) out.push(last([out[out.length - 1]]));
    const end = performance.now();
    return {
      total: (end - start) / 1000,
      prefill: (prefilled - start) / 1000,
      decode: (end - prefilled) / 1000,
      tokens: out,
    };
  });
}

async function throughGenerate(): Promise<{ total: number; tokens: number[] }> {
  const out: number[] = [];
  const start = performance.now();
  for await (const step of generate(model, tokenizer, prompt, { temperature: 0, maxTokens: tokens })) {
    out.push(step.token);
  }
  return { total: (performance.now() - start) / 1000, tokens: out };
}

function agreement(a: number[], b: number[]): string {
  const first = a.findIndex((t, i) => t !== b[i]);
  return first < 0 ? 'the same tokens' : `tokens differ from position ${first} on`;
}

const dir = mkdtempSync(join(tmpdir(), 'jielong-bench-'));
const weights = join(dir, 'model.safetensors');
saveSafetensors(weights, model.stateDict());
const name = `${option('preset', 'gpt2')} d${config.nEmbd} L${config.nLayer} ctx${context}+${tokens}`;
type Phase = 'loop' | 'prefill' | 'decode';
const cases: { label: string; ours: Unit; phase: Phase; work: number }[] = [
  { label: 'generate()', ours: async () => (await throughGenerate()).total, phase: 'loop', work: tokens },
  { label: 'forward loop', ours: () => forwardLoop().total, phase: 'loop', work: tokens },
  { label: 'prefill', ours: () => forwardLoop().prefill, phase: 'prefill', work: context },
  { label: 'decode', ours: () => forwardLoop().decode, phase: 'decode', work: tokens - 1 },
];
const rows: Row[] = [];
const notes: string[] = [];
try {
  for (const threads of option('threads', '1,2').split(',').map(Number)) {
    progress(`${name}: generating, ${threads} thread(s)...`);
    setNumThreads(threads);
    const loop = forwardLoop().tokens;
    progress(`  generate() vs loop: ${agreement((await throughGenerate()).tokens, loop)}`);
    await withPeer(threads, notes, async (peer) => {
      for (const c of cases) {
        const theirTokens = await peer?.load<number[]>('generate', {
          config,
          weights,
          prompt: promptIds,
          tokens,
          phase: c.phase,
        });
        if (theirTokens && c.phase === 'loop') progress(`  ours vs PyTorch: ${agreement(loop, theirTokens)}`);
        rows.push(
          compared(
            {
              bench: 'generate',
              case: `${name} ${c.label}`,
              metric: 'tokens/s',
              threads,
              peer_blas: peer?.info.blas ?? null,
            },
            c.work,
            await alternate(c.ours, peer, timing),
          ),
        );
      }
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
report(rows, notes);
