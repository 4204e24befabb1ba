// Circuits by pruning against answers known in advance: a mask of ones is the model, of zeros the ablated
// model; the hard-concrete gate's formulas; a component made dead (its output weights zero) is cut by both
// edge pruning and ACDC, and what matters is kept.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { edgeIndex, readerIndex, writerIndex } from '../../src/lens/circuit/graph.js';
import { expectedL0, keptGate, sampleGate } from '../../src/lens/circuit/hard-concrete.js';
import {
  acdc,
  CircuitScorer,
  type CircuitTask,
  circuitAblation,
  circuitGraph,
  circuitSvg,
  constantMasks,
  pruneCircuit,
  replace,
  runCircuit,
  runWithHooks,
} from '../../src/lens/index.js';
import { Generator, noGrad, Tensor } from '../../src/tensor/index.js';
import { assertClose } from '../helpers.js';
import { build, forward, ids, MODELS, WIDTH } from './models.js';

for (const [label, mixer] of MODELS) {
  describe(`circuits on ${label}`, () => {
    const model = build(mixer);
    const graph = circuitGraph(model);
    const x = ids(1);
    const L = model.config.nLayer;

    test('the graph: every reader reads every writer before it, once', () => {
      assert.equal(graph.writers.length, 2 * L + 1);
      assert.equal(graph.readers.length, 2 * L + 1);
      assert.equal(graph.edges.length, ((2 * L + 1) * (2 * L + 2)) / 2);
      for (const [i, e] of graph.edges.entries()) assert.equal(edgeIndex(e.reader, e.writer), i);
      assert.equal(graph.writers[writerIndex('mlp', L - 1)].label, `mlp ${L - 1}`);
      assert.equal(graph.readers[readerIndex('logits', L)].kind, 'logits');
    });

    for (const kind of ['zero', 'mean'] as const) {
      const ablation = circuitAblation(model, graph, kind, [ids(2), ids(3)]);

      test(`${kind} ablation: a mask of all ones is the full model`, () => {
        const out = noGrad(() => runCircuit(model, x, graph, constantMasks(graph, 1), ablation));
        assertClose(out.data, forward(model, x).data, 1e-5);
      });

      test(`${kind} ablation: a mask of all zeros is the model with every input ablated`, () => {
        const out = noGrad(() => runCircuit(model, x, graph, constantMasks(graph, 0), ablation));
        // The logits then read only the sum of the writers' ablation values.
        const base = new Float32Array(WIDTH);
        for (const w of ablation.writers) if (w) for (let i = 0; i < WIDTH; i++) base[i] += w[i];
        const [B, T] = x.shape;
        const tiled = new Tensor(
          Float32Array.from({ length: B * T * WIDTH }, (_, i) => base[i % WIDTH]),
          [B, T, WIDTH],
        );
        const ablated = runWithHooks(model, x, [replace(`blocks.${L - 1}.hook_resid_post`, tiled)]);
        assertClose(out.data, ablated.data, 1e-6);
      });
    }

    test('the masks are checked against the graph', () => {
      const masks = { ...constantMasks(graph, 1), edges: new Tensor(new Float32Array(3), [3]) };
      assert.throws(
        () => runCircuit(model, x, graph, masks, circuitAblation(model, graph, 'zero')),
        /edge mask of shape \[3\], expected \[\d+\]/,
      );
    });

    test('the circuit picture names every component', () => {
      const svg = circuitSvg(graph, constantMasks(graph, 1), 'all');
      for (const w of graph.writers) assert.ok(svg.includes(`>${w.label}<`), w.label);
      assert.equal(svg.match(/<path /g)?.length, graph.edges.length);
    });
  });
}

test('hard-concrete: the gate formulas', () => {
  const logAlpha = new Tensor(Float32Array.from([-6, -1, -0.1, 0.1, 6]), [5]);
  // P(z != 0) = sigmoid(log_alpha - beta * log(-gamma / zeta)).
  const expected = [...logAlpha.data].reduce(
    (s, a) => s + 1 / (1 + Math.exp(-(a - (2 / 3) * Math.log(0.1 / 1.1)))),
    0,
  );
  assertClose(expectedL0(logAlpha).data, [expected], 1e-5);
  // The deterministic gate sigmoid(a) * 1.2 - 0.1 passes 0.5 at sigmoid(a) = 0.5, a = 0.
  assert.deepEqual([...keptGate(logAlpha).data], [0, 0, 0, 1, 1]);
  const g = new Generator(1);
  for (let i = 0; i < 20; i++) {
    for (const z of sampleGate(logAlpha, g).data) assert.ok(z >= 0 && z <= 1);
  }
  // Far from 0, the sampled gate is exactly 0 or 1 almost surely: the stretch puts mass on the ends.
  const far = sampleGate(new Tensor(Float32Array.from([-20, 20]), [2]), g).data;
  assert.deepEqual([...far], [0, 1]);
});

describe('a dead component is cut, what matters is kept', () => {
  // Zero the last MLP's output weights: it then writes only its bias, which mean ablation restores exactly,
  // so every edge out of it is free to remove.
  const model = build('attention');
  const mlp = model.transformer.h[1].mlp as unknown as { c_proj: { weight: Tensor } };
  mlp.c_proj.weight.data.fill(0);
  const graph = circuitGraph(model);
  const reference = [ids(5, 4, 7), ids(6, 4, 7)];
  const ablation = circuitAblation(model, graph, 'mean', reference);
  const x = ids(7, 6, 7);
  const full = forward(model, x);
  const V = full.shape[2];
  const task: CircuitTask = {
    name: 'own top token',
    prompts: Array.from({ length: 6 }, (_, b) => {
      const row = full.data.subarray((b * 7 + 6) * V, (b * 7 + 7) * V);
      return { ids: Array.from(x.data.subarray(b * 7, b * 7 + 7)), answer: row.indexOf(Math.max(...row)) };
    }),
  };
  const scorer = new CircuitScorer(model, task, graph, ablation);
  const dead = writerIndex('mlp', 1);
  const deadEdge = edgeIndex(readerIndex('logits', 2), dead);

  test('the full circuit has KL 0 and recalls everything', () => {
    const s = scorer.score(constantMasks(graph, 1));
    assert.ok(s.kl < 1e-9, `kl ${s.kl}`);
    assert.equal(s.accuracy, 1);
    assertClose([s.faithfulness], [1], 1e-6);
  });

  test('ACDC removes the dead edge at any threshold and keeps KL under it', () => {
    const found = acdc(scorer, 1e-4);
    assert.equal(found.masks.edges.data[deadEdge], 0);
    assert.ok(found.score.kl < 1e-4 * graph.edges.length);
  });

  test('edge pruning removes the dead edge and keeps the behaviour', () => {
    const found = pruneCircuit(scorer, { lambda: 0.05, kinds: ['edges'], steps: 150, seed: 1 });
    assert.equal(found.masks.edges.data[deadEdge], 0);
    assert.ok(found.score.kept.edges < 1);
    assert.ok(found.score.accuracy >= 5 / 6, `recall ${found.score.accuracy}`);
  });

  test('a stronger penalty keeps less', () => {
    const weak = pruneCircuit(scorer, { lambda: 0.01, steps: 60, seed: 2 });
    const strong = pruneCircuit(scorer, { lambda: 5, steps: 60, seed: 2 });
    const share = (s: typeof weak.score) => s.kept.edges + s.kept.units + s.kept.neurons;
    assert.ok(share(strong.score) < share(weak.score), `${share(strong.score)} vs ${share(weak.score)}`);
  });

  test('model weights are left as they were, without gradients', () => {
    for (const w of model.parameters()) assert.ok(w.requiresGrad && w.grad === null);
  });
});
