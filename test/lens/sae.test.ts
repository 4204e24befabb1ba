// Sparse autoencoders: each architecture's code and reconstruction on a small example worked by hand,
// the gates' gradients, the initialisation, and SAELens's layout on disk (round trip and bad folders).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { serializeSafetensors } from '../../src/io/index.js';
import { loadSae, type SaeConfig, SparseAutoencoder, saveSae } from '../../src/lens/index.js';
import { Generator, sum, tensor } from '../../src/tensor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'jielong-sae-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** d_in 2, d_sae 3, weights set by hand. */
function handmade(architecture: SaeConfig['architecture']): SparseAutoencoder {
  const sae = new SparseAutoencoder({
    architecture,
    d_in: 2,
    d_sae: 3,
    hook_name: 'blocks.0.hook_resid_post',
    apply_b_dec_to_input: true,
    ...(architecture === 'topk' ? { k: 2 } : {}),
  });
  sae.W_enc.data.set([1, 0, -1, 0, 1, 1]); // [[1, 0, -1], [0, 1, 1]]
  sae.b_enc.data.set([0, -1, 0.5]);
  sae.W_dec.data.set([1, 0, 0, 1, 1, 1]); // [[1, 0], [0, 1], [1, 1]]
  sae.b_dec.data.set([0.5, -0.5]);
  sae.threshold?.data.set([1, 2, 1]);
  return sae;
}

// x = [1, 2]; x - b_dec = [0.5, 2.5]; pre = [0.5, 2.5, 2] + b_enc = [0.5, 1.5, 2.5].
const x = tensor([[1, 2]]);

describe('sparse autoencoders, worked by hand', () => {
  const cases: [SaeConfig['architecture'], number[], number[]][] = [
    // ReLU keeps all three; x̂ = [0.5 + 2.5, 1.5 + 2.5] + b_dec.
    ['standard', [0.5, 1.5, 2.5], [3.5, 3.5]],
    // The two largest pre-activations (features 2 and 1).
    ['topk', [0, 1.5, 2.5], [3, 3.5]],
    // Above the thresholds [1, 2, 1]: only feature 2.
    ['jumprelu', [0, 0, 2.5], [3, 2]],
  ];
  for (const [architecture, code, reconstruction] of cases)
    test(`${architecture}: code and reconstruction`, () => {
      const sae = handmade(architecture);
      assert.deepEqual([...sae.preActivations(x).data], [0.5, 1.5, 2.5]);
      assert.deepEqual([...sae.encode(x).data], code);
      assert.deepEqual([...sae.forward(x).data], reconstruction);
    });

  test('topk passes negative pre-activations through its ReLU: nothing fires', () => {
    const sae = handmade('topk');
    sae.b_enc.data.set([-9, -9, -9]);
    assert.deepEqual([...sae.encode(x).data], [0, 0, 0]);
  });

  test('the gates pass gradient to the kept features only', () => {
    for (const [architecture, kept] of [
      ['standard', [1, 1, 1]],
      ['topk', [0, 1, 1]],
      ['jumprelu', [0, 0, 1]],
    ] as const) {
      const sae = handmade(architecture);
      sum(sae.encode(x)).backward();
      assert.deepEqual([...sae.b_enc.grad!.data], kept, architecture);
    }
  });

  test('rows of a batch are gated each on its own', () => {
    const sae = handmade('topk');
    const f = sae.encode(
      tensor([
        [1, 2],
        [3, -4],
      ]),
    );
    // Row 2: x - b_dec = [2.5, -3.5]; pre = [2.5, -4.5, -5.5]: the top two are features 0 and 1, and
    // the ReLU zeroes feature 1.
    assert.deepEqual([...f.data.slice(3)], [2.5, 0, 0]);
  });

  test('initialised with unit-norm decoder rows, the encoder their transpose', () => {
    const sae = new SparseAutoencoder(
      { architecture: 'standard', d_in: 4, d_sae: 6, hook_name: 'h', apply_b_dec_to_input: true },
      { generator: new Generator(0) },
    );
    for (let i = 0; i < 6; i++) {
      const row = sae.W_dec.data.subarray(i * 4, i * 4 + 4);
      assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-6);
      for (let j = 0; j < 4; j++) assert.equal(sae.W_enc.data[j * 6 + i], row[j]);
    }
  });

  test('bad configs and inputs are named', () => {
    const base = { d_in: 2, d_sae: 3, hook_name: 'h', apply_b_dec_to_input: true };
    assert.throws(
      () => new SparseAutoencoder({ ...base, architecture: 'topk' }),
      /needs k in 1\.\.3, got undefined/,
    );
    assert.throws(
      () => new SparseAutoencoder({ ...base, architecture: 'gated' as never }),
      /unknown architecture "gated"/,
    );
    assert.throws(
      () => new SparseAutoencoder({ ...base, d_sae: 0, architecture: 'standard' }),
      /d_sae must be a positive integer/,
    );
    assert.throws(
      () => handmade('standard').encode(tensor([[1, 2, 3]])),
      /input of shape \[1,3\], expected \[\.\.\., 2\]/,
    );
  });
});

describe("SAELens's layout on disk", () => {
  test('saved and loaded, every architecture: the same weights, config and outputs', () => {
    for (const architecture of ['standard', 'topk', 'jumprelu'] as const) {
      const sae = handmade(architecture);
      const path = join(dir, architecture);
      saveSae(sae, path);
      const cfg = JSON.parse(readFileSync(join(path, 'cfg.json'), 'utf8'));
      assert.equal(cfg.architecture, architecture);
      assert.deepEqual(
        [cfg.d_in, cfg.d_sae, cfg.hook_name, cfg.normalize_activations],
        [2, 3, 'blocks.0.hook_resid_post', 'none'],
      );
      const back = loadSae(path);
      assert.deepEqual(back.cfg, sae.cfg);
      assert.deepEqual([...back.forward(x).data], [...sae.forward(x).data]);
      for (const [name, p] of sae.namedParameters())
        assert.deepEqual([...back.stateDict().get(name)!.data], [...p.data]);
    }
  });

  test('a folder that is not an SAE is named by file and field', () => {
    const path = join(dir, 'bad');
    saveSae(handmade('topk'), path);
    const cfgPath = join(path, 'cfg.json');
    const good = readFileSync(cfgPath, 'utf8');
    const withCfg = (change: Record<string, unknown>) =>
      writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(good), ...change }));
    withCfg({ k: 0 });
    assert.throws(() => loadSae(path), /cfg\.json: k must be a positive integer, got 0/);
    withCfg({ normalize_activations: 'expected_average_only_in' });
    assert.throws(() => loadSae(path), /cfg\.json: normalize_activations must be "none"/);
    withCfg({ d_sae: 4 });
    assert.throws(
      () => loadSae(path),
      /sae_weights\.safetensors: W_enc has shape \[2,3\], cfg\.json implies \[2,4\]/,
    );
    withCfg({ architecture: 'jumprelu' });
    assert.throws(() => loadSae(path), /sae_weights\.safetensors: no tensor threshold/);
    withCfg({});
    const weights = join(path, 'sae_weights.safetensors');
    const sae = handmade('topk');
    writeFileSync(weights, serializeSafetensors(new Map([...sae.namedParameters(), ['extra', tensor([1])]])));
    assert.throws(() => loadSae(path), /unexpected tensor extra for a topk SAE/);
    writeFileSync(cfgPath, '{ not json');
    assert.throws(() => loadSae(path), /cfg\.json: not JSON/);
    assert.throws(() => loadSae(join(dir, 'nowhere')), /cfg\.json: missing/);
  });
});
