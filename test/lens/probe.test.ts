// Linear relational embeddings against answers known in advance: an exactly linear map the estimators must
// recover, the autograd Jacobian against finite differences on each kind of model, and faithfulness and
// causality where they must hold.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyLRE,
  causality,
  decodeLRE,
  faithfulness,
  fitJacobianMean,
  fitLeastSquares,
  fitLRE,
  type LabelledCase,
  type RelationCase,
  relationReps,
  runWithCache,
  subjectJacobian,
  subjectMap,
} from '../../src/lens/index.js';
import type { LanguageModel } from '../../src/model/index.js';
import { add, Generator, IntTensor, matmul, noGrad, randint, Tensor } from '../../src/tensor/index.js';
import { assertClose } from '../helpers.js';
import { build, MODELS } from './models.js';

const prompt = (seed: number, subjectPos = 2, seq = 6): RelationCase => ({
  ids: randint(0, 24, [1, seq], new Generator(seed)),
  subjectPos,
});
const finalPoint = (m: LanguageModel) => `blocks.${m.config.nLayer - 1}.hook_resid_post`;
/** The model's own next token after the prompt. */
const answer = (m: LanguageModel, c: RelationCase) => {
  const { logits } = runWithCache(m, c.ids, { names: [] });
  const last = logits.data.subarray(logits.data.length - 24);
  return last.indexOf(Math.max(...last));
};

describe('estimators on an exactly linear map', () => {
  const [ds, dO] = [6, 5];
  const g = new Generator(11);
  const A = Float64Array.from({ length: dO * ds }, () => 2 * g.random() - 1);
  const c = Float64Array.from({ length: dO }, () => 2 * g.random() - 1);
  const points = Array.from({ length: 12 }, () =>
    Float64Array.from({ length: ds }, () => 2 * g.random() - 1),
  );
  const linear = (s: Float64Array) =>
    c.map((ci, i) => s.reduce((acc, sj, j) => acc + A[i * ds + j] * sj, ci));

  test('least squares with more pairs than features recovers A and c', () => {
    const exact = fitLeastSquares(points, points.map(linear), { ridge: 0 });
    assertClose(exact.W.data, A, 1e-10, 'W');
    assertClose(exact.b, c, 1e-10, 'b');
    // The default ridge shrinks W a little, and no more.
    assertClose(fitLeastSquares(points, points.map(linear)).W.data, A, 1e-2, 'W with the default ridge');
  });

  test('the Jacobian mean recovers A and c, whatever the batch', () => {
    const f = (s: Tensor) =>
      add(
        matmul(s, new Tensor(Float32Array.from(A), [dO, ds]), { transposeB: true }),
        new Tensor(Float32Array.from(c), [dO]),
      );
    const samples = points.slice(0, 3).map((s) => ({ f, s }));
    for (const batch of [64, 2]) {
      const fit = fitJacobianMean(samples, { batch });
      assertClose(fit.W.data, A, 1e-6, `W, batch ${batch}`);
      assertClose(fit.b, c, 1e-6, `b, batch ${batch}`);
    }
  });
});

for (const [label, mixer] of MODELS) {
  describe(`relation probes on ${label}`, () => {
    const model = build(mixer);
    const layer = 'blocks.0.hook_resid_post';

    test("the Jacobian from autograd matches finite differences, and leaves the weights' gradients alone", () => {
      const weights = model.parameters().length;
      const c = prompt(5);
      const f = subjectMap(model, layer, c);
      const { s, o } = relationReps(model, layer, [c]);
      const { o: fo, J } = subjectJacobian(model, layer, c);
      assertClose(fo, o[0], 1e-6, 'F(s) is the unpatched o');
      // A step small against the stream (rms ~0.03 at init) but large against float32 rounding.
      const eps = 3e-3;
      for (const j of [0, 7, 15]) {
        const at = (sign: number) =>
          noGrad(() =>
            f(
              new Tensor(
                Float32Array.from(s[0], (v, k) => (k === j ? v + sign * eps : v)),
                [1, 16],
              ),
            ),
          );
        const [plus, minus] = [at(1).data, at(-1).data];
        const fd = plus.map((v, i) => (v - minus[i]) / (2 * eps));
        const column = Float64Array.from({ length: 16 }, (_, i) => J.data[i * 16 + j]);
        assertClose(column, fd, 1e-2, `column ${j}`);
      }
      assertClose(subjectJacobian(model, layer, c, { batch: 5 }).J.data, J.data, 1e-6, 'batches of 5');
      for (const w of model.parameters()) assert.equal(w.grad, null);
      assert.equal(model.parameters().length, weights, 'the weights require grad again');
    });

    test('a probe fitted at one point (W its Jacobian, LRE(s) = o there) is faithful there', () => {
      const c = prompt(6);
      const probe = fitLRE(model, layer, [c]);
      const { s, o } = relationReps(model, layer, [c]);
      assertClose(applyLRE(probe, s[0]), o[0], 1e-5, 'LRE(s) = o');
      const result = faithfulness(model, probe, [c], { candidates: [1, 4, 9, answer(model, c)] });
      assert.deepEqual([result.vocab, result.candidates], [1, 1]);
      assert.equal(result.answers[0].model, answer(model, c));
      const logits = decodeLRE(model, probe, s[0]);
      assert.equal(logits.indexOf(Math.max(...logits)), answer(model, c));
    });

    test('editing s into the representation of another answer makes the model give it', () => {
      // Read at the last block's output at the last token, F is the identity: W = I, b = 0, so the edit
      // moves s exactly onto the other case's o, and the model must answer as that case does.
      const cases: LabelledCase[] = [];
      for (let seed = 100; cases.length < 3; seed++) {
        const c = prompt(seed, 5);
        const object = answer(model, c);
        if (!cases.some((k) => k.object === object)) cases.push({ ...c, object });
      }
      const probe = fitLRE(model, finalPoint(model), cases);
      const result = causality(model, probe, cases);
      assert.equal(result.edits.length, 6);
      assert.equal(result.success, 1, JSON.stringify(result.edits));
    });
  });
}

describe('relation probes refuse bad input', () => {
  const model = build('attention');
  const layer = 'blocks.0.hook_resid_post';
  const c = prompt(1);

  test('mismatched dimensions', () => {
    const s = [new Float64Array(4), new Float64Array(3)];
    assert.throws(() => fitLeastSquares(s, [new Float64Array(2), new Float64Array(2)]), /row 1 has 3 values/);
    assert.throws(() => fitLeastSquares(s, [new Float64Array(2)]), /2 s but 1 o/);
    assert.throws(() => fitLeastSquares([s[0]], [s[0]]), /at least 2 pairs/);
    const probe = fitLRE(model, layer, [c, prompt(2)], { method: 'least-squares' });
    assert.throws(() => applyLRE(probe, new Float64Array(5)), /s has 5 features, the probe's W takes 16/);
    const f = (x: Tensor) => x;
    assert.throws(
      () =>
        fitJacobianMean([
          { f, s: new Float64Array(3) },
          { f, s: new Float64Array(4) },
        ]),
      /sample 1 has s of 4, sample 0 of 3/,
    );
  });

  test('no cases, and too few objects to edit towards', () => {
    assert.throws(() => fitLRE(model, layer, []), /fitLRE: no cases/);
    const probe = fitLRE(model, layer, [c]);
    assert.throws(() => faithfulness(model, probe, []), /faithfulness: no cases/);
    assert.throws(() => causality(model, probe, []), /causality: no cases/);
    assert.throws(
      () =>
        causality(model, probe, [
          { ...c, object: 3 },
          { ...prompt(2), object: 3 },
        ]),
      /at least two objects/,
    );
    assert.throws(
      () => faithfulness(model, probe, [c], { candidates: [24] }),
      /outside the vocabulary of 24/,
    );
    assert.throws(() => faithfulness(model, probe, [c], { candidates: [] }), /no candidates/);
  });

  test('positions out of range, prompts in a batch, points that are not [batch, seq, features]', () => {
    assert.throws(
      () => fitLRE(model, layer, [c, prompt(2, 6)]),
      /case 1: subject position 6 is out of range/,
    );
    assert.throws(() => fitLRE(model, layer, [prompt(2, -1)]), /subject position -1 is out of range/);
    const batch = { ids: new IntTensor(new Int32Array(12), [2, 6]), subjectPos: 0 };
    assert.throws(() => relationReps(model, layer, [batch]), /must be one prompt \[1, seq\]/);
    assert.throws(
      () => fitLRE(model, 'blocks.0.attn.hook_v', [c]),
      /a probe reads a \[batch, seq, features\]/,
    );
    assert.throws(() => fitLRE(model, 'blocks.7.hook_resid_post', [c]), /does not exist in this model/);
    assert.throws(() => noGrad(() => fitLRE(model, layer, [c])), /gradients are off/);
  });
});
