// GLA: the conformance suite (with and without short convolutions), hooks and errors, its parameters as fla
// names them, its gate, and the PyTorch peer's output on fixed weights. (The shared op: ops/gla.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HookContext } from '../../src/nn/index.js';
import { randn, type Tensor } from '../../src/tensor/index.js';
import { mixerConformance } from './conformance.js';
import { assertMatchesPytorch, assertParameters, glaLayer, layerSuite } from './gla-shared.js';

mixerConformance('gla', { settings: [{}, { convSize: 4 }] });
layerSuite('gla');

describe('gla: as fla GatedLinearAttention', () => {
  test('parameters: half-width keys, a rank-16 gate projection with a bias, a gated RMSNorm per head', () => {
    assertParameters(glaLayer('gla'), {
      'q_proj.weight': [8, 16],
      'k_proj.weight': [8, 16],
      'v_proj.weight': [16, 16],
      'g_proj.weight': [16, 16],
      'gk_proj.0.weight': [16, 16],
      'gk_proj.1.weight': [8, 16],
      'gk_proj.1.bias': [8],
      'o_proj.weight': [16, 16],
      'g_norm_swish_gate.weight': [8],
    });
  });

  test('the log decay is logsigmoid(gate logit) / 16', () => {
    const layer = glaLayer('gla');
    layer.gk_proj[1].weight.data.fill(0);
    const bias = layer.gk_proj[1].bias as Tensor;
    bias.data.forEach((_, i) => {
      bias.data[i] = i - 4;
    });
    const cache = new Map<string, Tensor>();
    layer.forward(randn([1, 3, 16]), { hooks: new HookContext(new Map(), cache), state: null, pos: 0 });
    const gk = cache.get('blocks.0.mixer.hook_gk') as Tensor;
    const expected = Array.from(gk.data, (_, i) => Math.log(1 / (1 + Math.exp(4 - (i % 8)))) / 16);
    for (const [i, v] of gk.data.entries()) {
      assert.ok(Math.abs(v - expected[i]) < 1e-6, `gate ${i}: ${v} vs ${expected[i]}`);
    }
  });

  test('its output equals the PyTorch peer on fixed weights', () => {
    assertMatchesPytorch(
      'gla',
      [
        -0.02129816, 0.01119562, 0.008737018, -0.02099828, 0.01482239, 0.004368024, -0.01972318, 0.01776076,
        -0.0008622771, -0.007298267, 0.009050704, -0.002856338, -0.005845985, 0.009415347, -0.004717734,
        -0.004122193, 0.02932326, -0.02347435, -0.002985776, 0.0268243, -0.02711024, 0.00359254, 0.02307953,
        -0.02948704, 0.04259089, -0.02588279, -0.01355122, 0.04108683, -0.03254691, -0.004570215, 0.03767456,
        -0.03769945, -0.04652368, 0.06348344, -0.02470275, -0.03576774, 0.06483302, -0.03697287, -0.02335062,
        0.06317154, -0.1412976, 0.04015443, 0.09624558, -0.1481389, 0.06996164, 0.06964418, -0.1481002,
        0.0965196, -0.1230887, 0.02808828, 0.09157448, -0.130832, 0.05521486, 0.06888264, -0.132499,
        0.07977708,
      ],
    );
  });
});
