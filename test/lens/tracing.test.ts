// Causal tracing against answers known in advance, on attention, Mamba, DeltaNet and a hybrid: a corruption
// that changes nothing, restorations that must recover everything, positions the corruption cannot reach
// in a causal model, reproducible noise, and refused input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { causalTrace, prepareTrace, type TraceComponent, traceHeatmap } from '../../src/lens/index.js';
import { Generator, IntTensor, randint } from '../../src/tensor/index.js';
import { byClass, findAll, parseXml } from '../plot/xml.js';
import { build, MODELS } from './models.js';

const COMPONENTS: TraceComponent[] = ['resid', 'mixer', 'mlp'];

const prompt = (seed: number, T = 7) => randint(0, 24, [1, T], new Generator(seed));
const near = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
/**
 * Checks the share of (clean - corrupt) that a restoration recovers, which is scale-free: an untrained
 * model's answer moves little under noise (its probabilities are all near 1/24), so a tolerance on the
 * metric itself would say little.
 */
const share = (m: { clean: number; corrupt: number }, patched: number, want: number, what: string) => {
  assert.notEqual(m.clean, m.corrupt, `${what}: the corruption moves the answer`);
  const s = (patched - m.corrupt) / (m.clean - m.corrupt);
  assert.ok(Math.abs(s - want) <= 1e-6, `${what}: recovered ${s}, expected ${want}`);
};

// The subject: tokens 2 and 3 of 7. Both metrics are checked.
const noise = { kind: 'noise', positions: [2, 3] } as const;
const target = { answer: 5, foil: 7, corruption: noise };

for (const [label, mixer] of MODELS) {
  describe(`causal tracing on ${label}`, () => {
    const model = build(mixer);
    const L = model.config.nLayer;
    const ids = prompt(1);

    test('corrupting with the clean prompt itself: clean == corrupt, and no restoration changes anything', () => {
      const trace = causalTrace(model, ids, { answer: 5, foil: 7, corruption: { kind: 'substitute', ids } });
      assert.deepEqual(trace.corrupted, []);
      for (const m of [trace.prob, trace.logitDiff!]) {
        assert.equal(m.corrupt, m.clean);
        for (const c of COMPONENTS) {
          assert.equal(m.grids[c].patched.length, L);
          for (const row of m.grids[c].patched) {
            assert.equal(row.length, 7);
            for (const v of row) assert.equal(v, m.clean, `${c}: bit-identical`);
          }
          assert.ok(m.grids[c].recovered.flat().every(Number.isNaN), 'no share of nothing');
        }
      }
    });

    test('restoring the last layer at the last position recovers everything; nothing before the subject matters', () => {
      const trace = causalTrace(model, ids, target);
      assert.deepEqual(trace.corrupted, [2, 3]);
      for (const m of [trace.prob, trace.logitDiff!]) {
        share(m, m.grids.resid.patched[L - 1][6], 1, 'last layer, last position');
        // A causal model: positions 0 and 1 never see the noise, so restoring them restores nothing.
        for (const c of COMPONENTS)
          for (let l = 0; l < L; l++)
            for (const p of [0, 1]) share(m, m.grids[c].patched[l][p], 0, `${c} ${l} @${p}`);
      }
    });

    test("restoring one layer's residual stream at every position recovers everything, for every layer", () => {
      for (const corruption of [noise, { kind: 'substitute', ids: prompt(2) } as const]) {
        const tracer = prepareTrace(model, ids, { answer: 5, foil: 7, corruption });
        for (let l = 0; l < L; l++) {
          const m = tracer.restore('resid', l);
          const { clean, corrupt } = tracer;
          share(
            { clean: clean.prob, corrupt: corrupt.prob },
            m.prob,
            1,
            `${corruption.kind} layer ${l} prob`,
          );
          const [c, k] = [clean.logitDiff!, corrupt.logitDiff!];
          share({ clean: c, corrupt: k }, m.logitDiff!, 1, `${corruption.kind} layer ${l} logit difference`);
        }
      }
    });
  });
}

describe('causal tracing', () => {
  const model = build('attention');
  const ids = prompt(1);

  test('a substituted prompt is corrupted where it differs, and earlier positions are untouched', () => {
    const other = new IntTensor(
      Int32Array.from(ids.data, (v, p) => (p === 4 ? (v + 1) % 24 : v)),
      [1, 7],
    );
    const trace = causalTrace(model, ids, { answer: 5, corruption: { kind: 'substitute', ids: other } });
    assert.deepEqual(trace.corrupted, [4]);
    assert.equal(trace.logitDiff, null, 'no foil, no logit difference');
    const m = trace.prob;
    share(m, m.grids.resid.patched[1][6], 1, 'last layer, last position');
    for (const c of COMPONENTS)
      for (let p = 0; p < 4; p++) share(m, m.grids[c].patched[0][p], 0, `${c} @${p}`);
  });

  test('the noise is reproducible by seed, and its default scale is 3 sigma of the token embeddings', () => {
    const a = causalTrace(model, ids, { ...target, corruption: { ...noise, seed: 4 } });
    assert.deepEqual(causalTrace(model, ids, { ...target, corruption: { ...noise, seed: 4 } }), a);
    const b = causalTrace(model, ids, { ...target, corruption: { ...noise, seed: 5 } });
    assert.notEqual(b.prob.corrupt, a.prob.corrupt, 'another seed, other draws');
    const w = model.transformer.wte.weight.data;
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const sigma = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    const explicit = prepareTrace(model, ids, {
      ...target,
      corruption: { ...noise, seed: 4, scale: 3 * sigma },
    });
    near(explicit.corrupt.logitDiff!, a.logitDiff!.corrupt, 1e-6, 'explicit 3 sigma');
    const one = prepareTrace(model, ids, { ...target, corruption: { ...noise, seed: 4, samples: 1 } });
    assert.notEqual(one.corrupt.prob, a.prob.corrupt, 'five draws are averaged');
  });

  test('a subset of components traces only those', () => {
    const trace = causalTrace(model, ids, { ...target, components: ['mlp'] });
    assert.deepEqual(Object.keys(trace.prob.grids), ['mlp']);
    const tracer = prepareTrace(model, ids, target, ['mlp']);
    assert.throws(() => tracer.restore('resid', 0), /causalTrace: resid was not traced \(components: mlp\)/);
  });

  test('bad prompts, positions and tokens are refused with what was wrong', () => {
    const trace = (t: Parameters<typeof causalTrace>[2], x = ids) => causalTrace(model, x, t);
    assert.throws(
      () => trace({ answer: 5, corruption: { kind: 'substitute', ids: prompt(2, 6) } }),
      /causalTrace: the substituted prompt is \[1,6\], the clean one \[1,7\]/,
    );
    assert.throws(
      () => trace({ answer: 5, corruption: { kind: 'noise', positions: [2, 7] } }),
      /causalTrace: noise position 7 is out of range for a prompt of 7 tokens/,
    );
    assert.throws(
      () => trace({ answer: 5, corruption: { kind: 'noise', positions: [2, 2] } }),
      /name a position twice/,
    );
    assert.throws(
      () => trace({ answer: 5, corruption: { kind: 'noise', positions: [] } }),
      /at least one position/,
    );
    assert.throws(
      () => trace({ answer: 5, corruption: { kind: 'noise', positions: [1], samples: 0 } }),
      /samples must be a whole number >= 1, got 0/,
    );
    assert.throws(
      () => trace({ answer: 5, corruption: { kind: 'noise', positions: [1], scale: -1 } }),
      /noise scale must be > 0, got -1/,
    );
    assert.throws(
      () => trace({ answer: 5, foil: 5, corruption: noise }),
      /causalTrace: the foil 5 is the answer; a logit difference needs two tokens/,
    );
    assert.throws(
      () => trace({ answer: 24, corruption: noise }),
      /causalTrace: the answer token 24 is outside the vocabulary of 24/,
    );
    assert.throws(
      () => trace(target, randint(0, 24, [2, 7], new Generator(1))),
      /causalTrace: expected one prompt \[1, seq\], got \[2,7\]/,
    );
    const tracer = prepareTrace(model, ids, target);
    assert.throws(
      () => tracer.restore('mixer', 0, [9]),
      /causalTrace: position 9 is out of range for a prompt of 7/,
    );
    assert.throws(
      () => tracer.restore('mixer', 2),
      /causalTrace: layer 2 is out of range for a model of 2 layers/,
    );
  });

  test('a trace draws as one heatmap per component, a row per layer and a column per token', () => {
    const trace = causalTrace(model, ids, target);
    const tokens = ['The', ' famous', ' Eiffel', ' <Tower>', ' is', ' in', ' the'];
    const svgs = traceHeatmap(trace, { tokens, title: 'Eiffel Tower' });
    assert.deepEqual(Object.keys(svgs), COMPONENTS);
    for (const c of COMPONENTS) {
      const svg = parseXml(svgs[c]);
      assert.equal(findAll(byClass(svg, 'cells')[0], 'rect').length, 2 * 7);
      const columns = findAll(byClass(svg, 'x-ticks')[0], 'text').map((t) => t.text);
      assert.deepEqual(
        columns,
        ['The', ' famous', ' Eiffel*', ' <Tower>*', ' is', ' in', ' the'],
        'subject starred',
      );
    }
    const patched = parseXml(
      traceHeatmap(trace, { tokens, title: 't', metric: 'logitDiff', show: 'patched' }).mlp,
    );
    assert.ok(findAll(patched, 'text').some((t) => t.text === 't: MLP output, logit difference'));
    assert.throws(
      () => traceHeatmap(trace, { tokens: tokens.slice(1), title: 't' }),
      /6 token labels for a trace over 7/,
    );
    const noFoil = causalTrace(model, ids, { answer: 5, corruption: noise, components: ['resid'] });
    assert.throws(
      () => traceHeatmap(noFoil, { tokens, title: 't', metric: 'logitDiff' }),
      /no logit difference/,
    );
  });
});
