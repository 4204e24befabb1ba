// The TopK SAE's sparse fast path against its dense form: the same code, reconstruction and gradients on
// both backends, ties broken to the lower index; the native kernels equal the js ones; a bad index is
// refused by the bindings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nativeAvailable } from '../../src/backend/index.js';
import { SparseAutoencoder } from '../../src/lens/index.js';
import { saeKernels } from '../../src/lens/sae/kernels.js';
import { densePre, sparseDecode, topkEncode } from '../../src/lens/sae/sparse.js';
import { Generator, randn, square, sub, sum, type Tensor } from '../../src/tensor/index.js';
import { assertClose, backends, withBackend } from '../helpers.js';

const [rows, dIn, dSae, k] = [13, 6, 40, 5];

function setup(): { sae: SparseAutoencoder; x: Tensor } {
  const g = new Generator(7);
  const sae = new SparseAutoencoder(
    { architecture: 'topk', d_in: dIn, d_sae: dSae, k, hook_name: 'h', apply_b_dec_to_input: true },
    { generator: g },
  );
  sae.b_enc.data.set(randn([dSae], { generator: g }).data.map((v) => 0.1 * v));
  sae.b_dec.data.set(randn([dIn], { generator: g }).data.map((v) => 0.1 * v));
  const x = randn([rows, dIn], { generator: g });
  // Ties: two features with the same encoder column and bias give equal pre-activations everywhere.
  for (let c = 0; c < dIn; c++) sae.W_enc.data[c * dSae + 9] = sae.W_enc.data[c * dSae + 3];
  sae.b_enc.data[9] = sae.b_enc.data[3];
  return { sae, x };
}

function gradients(sae: SparseAutoencoder, loss: Tensor): Float32Array[] {
  sae.zeroGrad();
  loss.backward();
  return [sae.W_enc, sae.b_enc, sae.W_dec, sae.b_dec].map((p) => p.grad!.data.slice());
}

for (const backend of backends()) {
  describe(`the sparse TopK path on ${backend}`, () => {
    test('the same reconstruction and gradients as the dense form', () => {
      withBackend(backend, () => {
        const { sae, x } = setup();
        const dense = sae.forward(x);
        const denseGrads = gradients(sae, sum(square(sub(dense, x))));
        const pre = densePre(x, sae.W_enc, sae.b_enc, sae.b_dec);
        const code = topkEncode(pre, x, sae.W_enc, sae.b_enc, sae.b_dec, k);
        const sparse = sparseDecode(code, sae.W_dec, sae.b_dec);
        assertClose(sparse.data, dense.data, 1e-6, 'x̂');
        const sparseGrads = gradients(sae, sum(square(sub(sparse, x))));
        for (const [i, name] of ['W_enc', 'b_enc', 'W_dec', 'b_dec'].entries()) {
          assertClose(sparseGrads[i], denseGrads[i], 1e-5, name);
        }
        // Of the tied features 3 and 9, only the lower index is ever chosen over the other.
        const chosen = new Set(code.indices.data);
        assert.ok(!(chosen.has(9) && !chosen.has(3)));
      });
    });

    test('topkSelect among allowed features only, best first', () => {
      withBackend(backend, () => {
        const x = Float32Array.from([5, 1, 4, 4, 9, 0, 7, 2]);
        const allowed = Float32Array.from([1, 1, 1, 1, 0, 1, 0, 1]);
        const out = new Int32Array(3);
        saeKernels().topkSelect(x, allowed, out, 1, 3, 8);
        assert.deepEqual([...out], [0, 2, 3]);
        saeKernels().topkSelect(x, null, out, 1, 3, 8);
        assert.deepEqual([...out], [4, 6, 0]);
      });
    });
  });
}

test('native kernels equal the js ones', { skip: !nativeAvailable() && 'no native addon' }, () => {
  const g = new Generator(3);
  const [r, f, d, kk] = [37, 300, 24, 7];
  const x = randn([r, f], { generator: g }).data;
  const allowed = Float32Array.from({ length: f }, (_, i) => (i % 3 === 0 ? 0 : 1));
  const values = randn([r, kk], { generator: g }).data;
  const w = randn([f, d], { generator: g }).data;
  const bias = randn([d], { generator: g }).data;
  const gOut = randn([r, d], { generator: g }).data;
  const xs = randn([r, d], { generator: g }).data;
  const run = (b: 'js' | 'native') =>
    withBackend(b, () => {
      const k = saeKernels();
      const indices = new Int32Array(r * kk);
      k.topkSelect(x, allowed, indices, r, kk, f);
      const out = new Float32Array(r * d);
      k.sparseDecode(values, indices, w, bias, out, r, kk, f, d);
      const gValues = new Float32Array(r * kk);
      const gW = new Float32Array(f * d);
      k.sparseDecodeGrad(values, indices, w, gOut, gValues, gW, r, kk, f, d);
      const outer = new Float32Array(f * d);
      k.sparseOuter(values, indices, xs, outer, r, kk, f, d);
      return { indices, out, gValues, gW, outer };
    });
  const [js, native] = [run('js'), run('native')];
  assert.deepEqual([...native.indices], [...js.indices]);
  for (const key of ['out', 'gValues', 'gW', 'outer'] as const) assertClose(native[key], js[key], 1e-6, key);
});

test('an index past the dictionary is refused by the bindings', {
  skip: !nativeAvailable() && 'no native addon',
}, () => {
  withBackend('native', () => {
    const out = new Float32Array(4);
    assert.throws(
      () =>
        saeKernels().sparseDecode(
          Float32Array.of(1),
          Int32Array.of(5),
          new Float32Array(8),
          null,
          out,
          1,
          1,
          2,
          4,
        ),
      /indices\[0\] = 5 is out of range \[0, 2\)/,
    );
  });
});
