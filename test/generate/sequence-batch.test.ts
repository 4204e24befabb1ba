// Continuous batching is only right if a sequence decoded in a batch of others, each at its own length,
// gets exactly the logits it gets alone: checked for every mixer and both block styles, through
// admissions and removals that move sequences between slots.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SequenceBatch } from '../../src/generate/index.js';
import { MIXER_KINDS } from '../../src/mixers/index.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { IntTensor, noGrad } from '../../src/tensor/index.js';

const V = 23;
const model = (mixer: (typeof MIXER_KINDS)[number], preset: 'gpt2' | 'llama') => {
  const m = new LanguageModel(
    makeConfig({
      preset,
      vocabSize: V,
      blockSize: 24,
      nLayer: 2,
      nHead: 2,
      nEmbd: 16,
      mixer: ['attention', mixer],
    }),
    { seed: 3 },
  );
  m.eval();
  return m;
};

/** The logits after `ids`, computed alone and from scratch. */
function alone(m: LanguageModel, ids: number[]): Float32Array {
  const out = noGrad(() => m.forward(new IntTensor(Int32Array.from(ids), [1, ids.length])));
  return out.data.slice(out.data.length - V);
}

function close(a: Float32Array, b: Float32Array, what: string): void {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < 2e-4, `${what}: max difference ${worst}`);
}

describe('SequenceBatch', () => {
  for (const preset of ['gpt2', 'llama'] as const) {
    for (const kind of MIXER_KINDS) {
      test(`${kind} (${preset}): batched decoding at different lengths equals each sequence alone`, () => {
        const m = model(kind, preset);
        const batch = new SequenceBatch(m, 3);
        // Each sequence: its tokens so far, and which slot holds it.
        const seqs = [
          [1, 2],
          [3, 4, 5, 6, 7],
          [8, 9, 10],
        ].map((prompt) => ({ ids: [...prompt], slot: batch.add(prompt).slot }));
        const next = (s: { ids: number[] }) => (s.ids.at(-1)! * 7 + s.ids.length) % V;
        for (let step = 0; step < 4; step++) {
          if (step === 2) {
            // The first sequence ends: the last one moves into its slot; a new one takes the free slot.
            const moved = batch.remove(seqs[0].slot);
            const from = seqs.find((s) => s.slot === moved)!;
            from.slot = seqs[0].slot;
            seqs.shift();
            const fresh = [11, 12, 13, 14];
            const { slot, logits } = batch.add(fresh);
            close(logits, alone(m, fresh), 'prefill');
            seqs.push({ ids: fresh, slot });
          }
          const tokens = new Int32Array(batch.active);
          for (const s of seqs) {
            s.ids.push(next(s));
            tokens[s.slot] = s.ids.at(-1)!;
          }
          const logits = batch.step(tokens);
          for (const s of seqs) {
            assert.equal(batch.position(s.slot), s.ids.length);
            close(logits[s.slot], alone(m, s.ids), `step ${step}, sequence of ${s.ids.length}`);
          }
        }
      });
    }
  }

  test('errors: full, unknown slot, wrong token count, prompt past the context', () => {
    const batch = new SequenceBatch(model('attention', 'gpt2'), 1);
    assert.throws(() => batch.add(Array(25).fill(1)), /a prompt of 25 tokens exceeds the context of 24/);
    batch.add([1]);
    assert.throws(() => batch.add([1]), /all 1 slots are in use/);
    assert.throws(() => batch.step(new Int32Array(2)), /2 tokens for 1 active sequences/);
    assert.throws(() => batch.remove(1), /slot 1 is not active/);
    assert.equal(batch.remove(0), null);
    assert.equal(batch.active, 0);
  });
});
