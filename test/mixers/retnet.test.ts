// RetNet: the conformance suite (with and without short convolutions), hooks and errors, its parameters as
// fla names them, its decays, its refusal of odd key heads, and the PyTorch peer's output on fixed weights.
// (The shared op: ops/gla.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mixerConformance } from './conformance.js';
import { assertMatchesPytorch, assertParameters, glaLayer, layerSuite } from './gla-shared.js';

mixerConformance('retnet', { settings: [{}, { convSize: 4 }] });
layerSuite('retnet');

describe('retnet: as fla MultiScaleRetention', () => {
  test('parameters: q, k, v, output-gate and output projections, a gated RMSNorm per head', () => {
    assertParameters(glaLayer('retnet'), {
      'q_proj.weight': [16, 16],
      'k_proj.weight': [16, 16],
      'v_proj.weight': [32, 16],
      'g_proj.weight': [32, 16],
      'o_proj.weight': [16, 32],
      'g_norm_swish_gate.weight': [16],
    });
  });

  test('head h decays by gamma = 1 - 2^(-5 - h): 31/32, 63/64, 127/128, 255/256', () => {
    const layer = glaLayer('retnet', {}, 16, 4);
    const expected = [31 / 32, 63 / 64, 127 / 128, 255 / 256];
    for (const [h, l] of layer.logGamma.entries()) {
      assert.ok(Math.abs(Math.exp(l) - expected[h]) < 1e-7, `head ${h}: ${Math.exp(l)}`);
    }
  });

  test('its output equals the PyTorch peer on fixed weights', () => {
    assertMatchesPytorch(
      'retnet',
      [
        0.007002341, -0.00343055, -0.004459673, 0.006735997, -0.0005329606, -0.006340973, 0.005232808,
        0.002462491, 0.1030607, 0.02668659, -0.1228405, 0.06436115, 0.07513689, -0.1200516, 0.01384376,
        0.1097908, 0.1349865, 0.08260111, -0.1962093, 0.06282663, 0.1496431, -0.1737401, -0.02086924,
        0.1892081, 0.09982362, 0.09979573, -0.1737909, 0.02901576, 0.1522848, -0.1418872, -0.04711989,
        0.1768118, 0.08754827, 0.01710106, -0.1002234, 0.05718315, 0.05783997, -0.1000533, 0.01631824,
        0.08795848, 0.01190282, -0.01545251, -0.0004496257, 0.01578576, -0.01125057, -0.007446991, 0.01677019,
        -0.004982844, -0.03565394, 0.1298709, -0.06060465, -0.08495156, 0.1235696, -0.006636594, -0.1186507,
        0.09457887,
      ],
    );
  });

  test('an odd key head size (no rotary pairs) is refused', () => {
    assert.throws(() => glaLayer('retnet', {}, 6, 2), /retnet: rotary embeddings need an even key head size/);
  });
});
