// The model-level checks every recurrent mixer passes: a tiny language model with it (alone and beside
// attention) learns a repetitive text, and generation through its state gives the full forward's logits.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MixerState } from '../../src/mixers/index.js';
import { LanguageModel, type MixerKind, makeConfig } from '../../src/model/index.js';
import { cat, Generator, IntTensor, noGrad, randint } from '../../src/tensor/index.js';
import { AdamW } from '../../src/train/index.js';
import { assertClose } from '../helpers.js';

export interface ModelSuiteOptions {
  /** Recognises this mixer's state among the layers' states. */
  isState: (s: MixerState) => boolean;
  mixerOptions?: Record<string, number>;
  /** Tokens fed at once before single steps, and in all (default 20 and 40). */
  prefill?: number;
  length?: number;
  tolerance?: number;
}

/** Columns from..to-1 of [batch, seq] ids. */
export function columns(ids: IntTensor, from: number, to: number): IntTensor {
  const [batch, seq] = ids.shape;
  const out = new Int32Array(batch * (to - from));
  for (let b = 0; b < batch; b++) out.set(ids.data.subarray(b * seq + from, b * seq + to), b * (to - from));
  return new IntTensor(out, [batch, to - from]);
}

export function modelSuite(kind: MixerKind, o: ModelSuiteOptions): void {
  const prefill = o.prefill ?? 20;
  const length = o.length ?? 40;
  const tiny = (mixer: MixerKind | MixerKind[]) =>
    makeConfig({
      preset: 'llama',
      vocabSize: 12,
      blockSize: 64,
      nLayer: 2,
      nHead: 2,
      nEmbd: 16,
      mixer,
      mixerOptions: o.mixerOptions ?? { chunkSize: 16 },
    });
  describe(`${kind}: a tiny language model`, () => {
    test('learns a repetitive text: the loss falls in a few dozen steps', () => {
      const model = new LanguageModel(tiny(kind), { seed: 1 });
      const text = 'the cat sat. '.repeat(20);
      const vocab = [...new Set(text)];
      const ids = Int32Array.from(text, (ch) => vocab.indexOf(ch));
      const seq = 48;
      const rows = (starts: number[], shift: number) =>
        new IntTensor(Int32Array.from(starts.flatMap((s) => [...ids.subarray(s + shift, s + shift + seq)])), [
          starts.length,
          seq,
        ]);
      const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
      const g = new Generator(4);
      const losses: number[] = [];
      for (let step = 0; step < 40; step++) {
        const starts = Array.from({ length: 4 }, () => g.randint(text.length - seq - 1));
        opt.zeroGrad();
        const loss = model.loss(rows(starts, 0), rows(starts, 1));
        loss.backward();
        opt.step();
        losses.push(loss.item());
      }
      const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
      const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
      assert.ok(last < first / 3, `loss fell from ${first.toFixed(3)} only to ${last.toFixed(3)}`);
    });

    for (const mixer of [kind, ['attention', kind]] as (MixerKind | MixerKind[])[]) {
      test(`generation through the state gives the full forward's logits (${JSON.stringify(mixer)})`, () =>
        noGrad(() => {
          const model = new LanguageModel(tiny(mixer), { seed: 6 });
          const ids = randint(0, 12, [2, length], new Generator(7));
          const full = model.forward(ids);
          const state = model.newState(2, length + 8);
          const pieces = [model.forward(columns(ids, 0, prefill), { state })];
          for (let t = prefill; t < length; t++)
            pieces.push(model.forward(columns(ids, t, t + 1), { state }));
          assert.equal(state.pos, length);
          assert.ok(state.layers.some(o.isState));
          assertClose(cat(pieces, 1).data, full.data, o.tolerance ?? 1e-4, 'logits');
        }));
    }
  });
}
