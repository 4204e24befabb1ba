// Linear attention: the conformance suite (with and without short convolutions), hooks and errors, its
// parameters as fla names them, its blindness to order without short convolutions, and the PyTorch peer's
// output on fixed weights. (The shared op: ops/gla.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NO_HOOKS } from '../../src/nn/index.js';
import { cat, Generator, noGrad, randn, slice } from '../../src/tensor/index.js';
import { mixerConformance } from './conformance.js';
import { assertMatchesPytorch, assertParameters, glaLayer, layerSuite } from './gla-shared.js';

mixerConformance('linear-attention', { settings: [{}, { convSize: 4 }] });
layerSuite('linear-attention');

describe('linear-attention: as fla LinearAttention', () => {
  test('parameters: Hadamard feature maps for q and k, bias-free projections, an RMSNorm per head', () => {
    assertParameters(glaLayer('linear-attention'), {
      'feature_map_q.layer1.weight': [8, 8],
      'feature_map_q.layer1.bias': [8],
      'feature_map_q.layer2.weight': [8, 8],
      'feature_map_q.layer2.bias': [8],
      'feature_map_k.layer1.weight': [8, 8],
      'feature_map_k.layer1.bias': [8],
      'feature_map_k.layer2.weight': [8, 8],
      'feature_map_k.layer2.bias': [8],
      'q_proj.weight': [16, 16],
      'k_proj.weight': [16, 16],
      'v_proj.weight': [16, 16],
      'norm.weight': [8],
      'o_proj.weight': [16, 16],
    });
  });

  test('its output equals the PyTorch peer on fixed weights', () => {
    assertMatchesPytorch(
      'linear-attention',
      [
        0.04078284, -0.08422505, 0.05371501, 0.0239585, -0.08059569, 0.06646732, 0.006021439, -0.0732232,
        0.06515264, 0.0583639, -0.1306351, 0.08820459, 0.03167233, -0.12374, 0.10716, 0.003509823, 0.06920604,
        0.1179378, -0.2015285, 0.1081709, 0.08016415, -0.1981126, 0.1421119, 0.03866752, 0.02859569,
        0.1584072, -0.2063235, 0.07308139, 0.1243285, -0.2125741, 0.1141729, 0.08447571, -0.0624088,
        0.1537789, -0.1101263, -0.03022071, 0.1440329, -0.1313798, 0.003370998, 0.1275976, 0.5153076,
        -0.5161567, 0.06380402, 0.4445705, -0.5625982, 0.1866469, 0.3531863, -0.5829108, 0.6706368,
        -0.5378205, -0.06721914, 0.6132382, -0.6208148, 0.08329646, 0.5273588, -0.6749764,
      ],
    );
  });
});

describe('linear-attention: order', () => {
  // The memory is a sum over the past, so without short convolutions the layer cannot tell which token
  // came just before: what associative recall (a value follows its key) and most language need.
  test('without short convolutions the last output ignores the order of the tokens before it', () =>
    noGrad(() => {
      const x = randn([1, 6, 16], { generator: new Generator(11) });
      const shuffled = cat([slice(x, 1, 3, 5), slice(x, 1, 0, 3), slice(x, 1, 5, 6)], 1);
      const last = (settings: Record<string, number>, input: typeof x) =>
        slice(
          glaLayer('linear-attention', settings).forward(input, {
            hooks: NO_HOOKS,
            state: null,
            pos: 0,
          }),
          1,
          5,
          6,
        ).data;
      const gap = (settings: Record<string, number>) =>
        Math.max(...last(settings, x).map((a, i) => Math.abs(a - last(settings, shuffled)[i])));
      assert.ok(gap({}) < 1e-5, `order changed the output by ${gap({})}`);
      assert.ok(gap({ convSize: 4 }) > 1e-3, 'with convSize 4 the order shows');
    }));
});
