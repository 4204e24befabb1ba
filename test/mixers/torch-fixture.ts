// Each mixer layer against an independent PyTorch layer, in the manner of llm.c's test_gpt2: the same
// weights and input that scripts/fixtures/make_mixer_fixtures.py gave bench/torch/mixers/<kind>.py (run in
// float64), and the output and every gradient it produced (test/fixtures/mixers/<kind>.*).
//
// Tolerances are relative RMS errors against the float64 reference: TOL.y for the output, TOL.grad for
// the gradient of x and of each parameter. Measured (js / native backend; gradients: the worst of them,
// the test prints each as a diagnostic):
//   attention         y 9.8e-8 / 2.4e-7   gradients 1.3e-7 / 2.6e-7
//   lstm              y 9.6e-8 / 2.2e-7   gradients 1.2e-7 / 3.0e-7
//   linear-attention  y 1.8e-7 / 4.3e-7   gradients 4.4e-7 / 2.4e-6
//   retnet            y 1.2e-7 / 3.0e-7   gradients 1.9e-7 / 5.1e-7
//   gla               y 1.2e-7 / 2.5e-7   gradients 7.2e-7 / 1.6e-6
//   mamba             y 9.4e-8 / 2.5e-7   gradients 2.1e-7 / 7.0e-7
//   deltanet          y 1.4e-7 / 3.6e-7   gradients 2.6e-7 / 1.3e-6
//   gated-deltanet    y 1.3e-7 / 3.6e-7   gradients 3.9e-7 / 6.9e-6
// The worst, Gated DeltaNet's dt_bias on native, is two numbers, each a sum over the 26 tokens whose terms
// cancel elevenfold: float32 rounding of the terms (js kernels accumulate in float64, native in float32).
// The fixture settings run the chunkwise forms over chunks that do not divide the length (5 into 13), and
// the short convolutions; a wrong norm eps (1e-3 for 1e-5) already misses by 0.37.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSafetensors } from '../../src/io/index.js';
import { MIXERS, type Mixer } from '../../src/mixers/index.js';
import type { MixerKind } from '../../src/model/index.js';
import { NO_HOOKS } from '../../src/nn/index.js';
import { Tensor } from '../../src/tensor/index.js';
import { backends, relRmsError, withBackend } from '../helpers.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/mixers/', import.meta.url));
export const TOL = { y: 1e-5, grad: 1e-4 };

/** What the fixture's JSON says about the layer (written by make_mixer_fixtures.py). */
export interface FixtureSpec {
  kind: MixerKind;
  dim: number;
  heads: number;
  bias: boolean;
  settings: Record<string, number>;
  batch: number;
  seq: number;
}

/** The mixer kinds that have a fixture: every kind the registry knows. */
export function fixtureKinds(): MixerKind[] {
  return Object.keys(MIXERS) as MixerKind[];
}

/**
 * The fixture's layer, built through the mixer API (the one place this test uses it): the registry's
 * constructor with the spec's width, heads, bias and settings. Init scales do not matter: the weights are
 * loaded after.
 */
function buildLayer(spec: FixtureSpec): Mixer {
  return MIXERS[spec.kind]({
    dim: spec.dim,
    name: 'mixer',
    heads: spec.heads,
    bias: spec.bias,
    std: 0.02,
    projStd: 0.02,
    rotary: null,
    settings: spec.settings,
  });
}

function load(kind: MixerKind) {
  const spec = JSON.parse(readFileSync(`${FIXTURES}${kind}.json`, 'utf8')) as FixtureSpec;
  assert.equal(spec.kind, kind, `${kind}.json describes a ${spec.kind} layer`);
  const { tensors } = loadSafetensors(`${FIXTURES}${kind}.safetensors`);
  const get = (name: string) => {
    const t = tensors.get(name);
    assert.ok(t instanceof Tensor, `${kind}.safetensors: no float tensor ${name}`);
    return t;
  };
  // Everything that is not an input or a result is a parameter, so loadStateDict sees any extra one.
  const results = /^(x|y|gy|grad\..*)$/;
  const weights = new Map([...tensors.keys()].filter((n) => !results.test(n)).map((n) => [n, get(n)]));
  return { spec, get, weights };
}

/** The worst relative RMS errors measured on one backend. */
export interface FixtureErrors {
  backend: string;
  y: number;
  /** The largest over grad.x and every parameter's gradient, and whose it was. */
  grad: number;
  worstGrad: string;
}

/**
 * Builds `kind`'s layer from its fixture, loads the weights by name, and checks y = layer(x) and the
 * gradients of sum(y * gy) for x and every parameter against PyTorch's, on every backend. Returns the
 * errors it measured.
 */
export function assertMatchesTorchFixture(kind: MixerKind): FixtureErrors[] {
  const f = load(kind);
  return backends().map((backend) =>
    withBackend(backend, () => {
      const layer = buildLayer(f.spec);
      const params = layer.namedParameters();
      layer.loadStateDict(f.weights);
      const x = f.get('x').clone().requiresGrad_();
      const y = layer.forward(x, { hooks: NO_HOOKS, state: null, pos: 0 });
      const errors: FixtureErrors = {
        backend,
        y: relRmsError(y.data, f.get('y').data),
        grad: 0,
        worstGrad: '',
      };
      assert.ok(
        errors.y <= TOL.y,
        `${kind} (${backend}): y relative RMS error ${errors.y.toExponential(2)} > ${TOL.y}`,
      );
      y.backward(f.get('gy'));
      for (const [name, t] of [['x', x] as const, ...params]) {
        assert.ok(t.grad, `${kind} (${backend}): ${name} got no gradient`);
        const err = relRmsError(t.grad.data, f.get(`grad.${name}`).data);
        assert.ok(
          err <= TOL.grad,
          `${kind} (${backend}): grad.${name} relative RMS error ${err.toExponential(2)} > ${TOL.grad}`,
        );
        if (err >= errors.grad) Object.assign(errors, { grad: err, worstGrad: name });
      }
      return errors;
    }),
  );
}
