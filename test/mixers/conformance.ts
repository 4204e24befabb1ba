// The checks every mixer passes, one line per mixer (mixerConformance(kind) in test/mixers/<kind>.test.ts):
//   - fast form = naive form: the layer with its kernels against the same layer with every op in its naive
//     form (withNaiveOps): output and the gradients of the input and every parameter, on every backend, at
//     awkward lengths (1, a prime, lengths no chunk divides, 1000) and chunk sizes 16, 32, 64; and the
//     final state a forward leaves, both ways;
//   - generation through the state = the full forward: a prefill shorter and longer than a chunk then one
//     token at a time, and pieces of awkward sizes, with and without hooks; the final state too, and a
//     state whose size does not grow (except attention's KV cache);
//   - a tiny language model with the mixer (alone and beside attention) learns, and generates through its
//     state what the full forward gives;
//   - the layer against its PyTorch reference from a committed dump (test/fixtures/mixers/<kind>.*);
//   - its settings checked (an unknown one named), and a foreign state refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSafetensors } from '../../src/io/index.js';
import {
  createMixer,
  type Mixer,
  type MixerKind,
  type MixerSettings,
  type MixerState,
  settingNames,
  withNaiveOps,
} from '../../src/mixers/index.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { HookContext, NO_HOOKS, rotaryTable } from '../../src/nn/index.js';
import { cat, Generator, IntTensor, noGrad, randint, randn, slice, Tensor } from '../../src/tensor/index.js';
import { AdamW } from '../../src/train/index.js';
import { assertClose, backends, withBackend } from '../helpers.js';

export const TOL = 1e-4;
export const LENGTHS = [1, 37, 100, 1000];
export const CHUNK_SIZES = [16, 32, 64];
/** Pieces a sequence is fed in (cycled): single tokens, a prime, and more than a chunk. */
const PIECES = [1, 7, 1, 23, 70, 2];

export interface ConformanceOptions<K extends MixerKind> {
  /**
   * Settings of the small layer the suite builds (chunkSize is varied where the kind has one), or several
   * such, each checked in turn (the model checks use the first).
   */
  settings?: MixerSettings<K> | MixerSettings<K>[];
  /** Relative RMS error allowed everywhere (default 1e-4). */
  tolerance?: number;
}

const DIM = 16;
const HEADS = 2;

/** A small layer of `kind`; the seed fixes its weights, whatever the settings that do not shape them. */
export function smallLayer<K extends MixerKind>(kind: K, settings: MixerSettings<K> = {}, seed = 0): Mixer {
  return createMixer(
    kind,
    {
      dim: DIM,
      name: 'blocks.0.mixer',
      heads: HEADS,
      bias: true,
      std: 0.2,
      projStd: 0.1,
      rotary: rotaryTable(DIM / HEADS, 1024),
      generator: new Generator(seed),
    },
    settings,
  );
}

const ctx = (state: MixerState | null = null, pos = 0, hooks = NO_HOOKS) => ({ hooks, state, pos });

/** Every array a state holds (its memory, caches and conv windows), in a fixed order. */
function stateArrays(state: MixerState): Float32Array[] {
  const walk = (v: unknown): Float32Array[] =>
    v instanceof Float32Array
      ? [v]
      : v instanceof Tensor
        ? [v.data]
        : v && typeof v === 'object'
          ? Object.values(v).flatMap(walk)
          : [];
  return walk(state);
}

function assertSameState(got: MixerState, want: MixerState, tol: number, what: string): void {
  const [a, b] = [stateArrays(got), stateArrays(want)];
  assert.equal(a.length, b.length, `${what}: states of different shape`);
  a.forEach((arr, i) => {
    assertClose(arr, b[i], tol, `${what}: state array ${i}`);
  });
}

export function mixerConformance<K extends MixerKind>(kind: K, options: ConformanceOptions<K> = {}): void {
  const tol = options.tolerance ?? TOL;
  const variants = [options.settings ?? {}].flat() as MixerSettings<K>[];
  for (const settings of variants) layerConformance(kind, settings, tol);
  modelConformance(kind, variants[0], tol);
  torchParity(kind);
}

function layerConformance<K extends MixerKind>(kind: K, settings: MixerSettings<K>, tol: number): void {
  const named = Object.keys(settings).length ? `${kind} ${JSON.stringify(settings)}` : kind;
  const chunked = settingNames(kind).includes('chunkSize');
  const chunkSizes = chunked ? CHUNK_SIZES : [undefined];
  const layer = (seed: number, chunkSize?: number) =>
    smallLayer(kind, chunkSize ? { ...settings, chunkSize } : settings, seed);

  describe(`${named}: fast form = naive form`, () => {
    for (const T of LENGTHS) {
      test(`length ${T}: output and the gradients of x and every parameter${chunked ? `, chunk sizes ${CHUNK_SIZES}` : ''}`, () => {
        const g = new Generator(T);
        const x = randn([2, T, DIM], { generator: g, requiresGrad: true });
        const gOut = randn([2, T, DIM], { generator: g });
        const run = (m: Mixer) => {
          m.zeroGrad();
          x.grad = null;
          const out = m.forward(x, ctx());
          out.backward(gOut);
          const grads = [['x', x] as const, ...m.namedParameters()].map(
            ([name, t]) => [name, (t.grad as Tensor).data.slice()] as const,
          );
          return { out: out.data, grads };
        };
        const ref = withNaiveOps(() => run(layer(T)));
        for (const backend of backends()) {
          withBackend(backend, () => {
            for (const chunkSize of chunkSizes) {
              const got = run(layer(T, chunkSize));
              const what = `${backend}${chunkSize ? `, chunk ${chunkSize}` : ''}:`;
              assertClose(got.out, ref.out, tol, `${what} output`);
              assert.deepEqual(
                got.grads.map(([n]) => n),
                ref.grads.map(([n]) => n),
              );
              assertGradsClose(got.grads, ref.grads, tol, what);
            }
          });
        }
      });
    }

    test('the state a forward leaves, at lengths 1, 37 and 100', () =>
      noGrad(() => {
        for (const T of [1, 37, 100]) {
          const m = layer(T);
          const x = randn([2, T, DIM], { generator: new Generator(T + 1) });
          const ref = m.initState(2, T);
          const want = withNaiveOps(() => m.forward(x, ctx(ref)));
          for (const backend of backends()) {
            withBackend(backend, () => {
              const state = m.initState(2, T);
              assertClose(m.forward(x, ctx(state)).data, want.data, tol, `${backend} T ${T}: output`);
              assertSameState(state, ref, tol, `${backend} T ${T}`);
            });
          }
        }
      }));
  });

  describe(`${named}: generation through the state = the full forward`, () => {
    for (const T of LENGTHS) {
      test(`length ${T}: a prefill of 5 or 40 tokens then one at a time; pieces of ${PIECES}; the final state`, () =>
        noGrad(() => {
          const m = layer(3 + T);
          const x = randn([2, T, DIM], { generator: new Generator(T + 2) });
          for (const backend of backends()) {
            withBackend(backend, () => {
              const whole = m.initState(2, T);
              const full = m.forward(x, ctx(whole));
              const runs: [string, number[], HookContext][] = [
                ...[5, 40].map(
                  (p) =>
                    [`prefill ${p}`, [0, Math.min(p, T), ...steps(Math.min(p, T), T)], NO_HOOKS] as [
                      string,
                      number[],
                      HookContext,
                    ],
                ),
                ['pieces, every hook cached', cuts(T), new HookContext(new Map(), new Map())],
              ];
              for (const [what, at, hooks] of runs) {
                const state = m.initState(2, T);
                const bytes = state.bytes();
                const parts = at
                  .slice(1)
                  .map((end, i) => m.forward(slice(x, 1, at[i], end), ctx(state, at[i], hooks)));
                assertClose(cat(parts, 1).data, full.data, tol, `${backend}, ${what}: outputs`);
                assertSameState(state, whole, tol, `${backend}, ${what}`);
                assert.equal(state.bytes(), bytes, `${backend}, ${what}: the state grew`);
              }
            });
          }
        }));
    }

    test('a recurrent state is the same size for any context (attention: its KV cache grows)', () => {
      const m = layer(0);
      const [short, long] = [m.initState(2, 16).bytes(), m.initState(2, 4096).bytes()];
      if (kind === 'attention') assert.ok(long > short);
      else assert.equal(long, short);
    });
  });

  describe(`${named}: settings and states are checked`, () => {
    test('an unknown setting is named, with the ones the kind has', () => {
      const given = { ...settings, chunkSzie: 16 } as MixerSettings<K>;
      assert.throws(() => smallLayer(kind, given), new RegExp(`${kind}: unknown setting "chunkSzie" \\(`));
    });

    test('a state made by another kind or for another batch is refused, the layer named', () => {
      const m = layer(0);
      const x = randn([2, 3, DIM]);
      const foreign: MixerState = {
        kind: 'other',
        batch: 2,
        bytes: () => 0,
        rows: () => foreign,
        buffers: () => [],
        zeroOnStart: true,
      };
      assert.throws(
        () => m.forward(x, ctx(foreign)),
        new RegExp(`${kind}: expected a state made by its initState, got a "other" state`),
      );
      assert.throws(
        () => m.forward(x, ctx(m.initState(1, 8))),
        new RegExp(`${kind}: the state holds 1 sequences, the input 2`),
      );
    });
  });
}

const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));

/**
 * Each gradient by relative RMS error against the larger of its own norm and 1% of the largest gradient's:
 * a gradient that is zero by symmetry (one token through a per-head norm leaves q only its direction; a
 * decay before the first token does nothing) is held to the rounding of the others, not to its own noise.
 */
function assertGradsClose(
  got: readonly (readonly [string, Float32Array])[],
  want: readonly (readonly [string, Float32Array])[],
  tol: number,
  what: string,
): void {
  const floor = 0.01 * Math.max(...want.map(([, g]) => norm(g)));
  got.forEach(([name, g], i) => {
    const ref = want[i][1];
    const err = norm(g.map((v, j) => v - ref[j])) / Math.max(norm(ref), floor, 1e-30);
    assert.ok(err <= tol, `${what} gradient of ${name}: relative RMS error ${err.toExponential(2)} > ${tol}`);
  });
}

/** 0, from, from + 1, ..., to: one token at a time after a prefill. */
function steps(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i + 1);
}

/** 0 and the ends of PIECES-sized pieces, cycling, up to T. */
function cuts(T: number): number[] {
  const at = [0];
  for (let i = 0; at[at.length - 1] < T; i++)
    at.push(Math.min(T, at[at.length - 1] + PIECES[i % PIECES.length]));
  return at;
}

/** Columns from..to-1 of [batch, seq] ids. */
function columns(ids: IntTensor, from: number, to: number): IntTensor {
  const [batch, seq] = ids.shape;
  const out = new Int32Array(batch * (to - from));
  for (let b = 0; b < batch; b++) out.set(ids.data.subarray(b * seq + from, b * seq + to), b * (to - from));
  return new IntTensor(out, [batch, to - from]);
}

/** A tiny language model with the mixer, alone and beside attention: it learns, and it generates. */
function modelConformance<K extends MixerKind>(kind: K, settings: MixerSettings<K>, tol: number): void {
  const tiny = (mixer: MixerKind | MixerKind[]) =>
    makeConfig({
      preset: 'llama',
      vocabSize: 12,
      blockSize: 64,
      nLayer: 2,
      nHead: 2,
      nEmbd: 16,
      mixer,
      mixerOptions: { [kind]: settings },
    });
  describe(`${kind}: a tiny language model`, () => {
    test('learns a repetitive text: the loss falls in a few dozen steps', () => {
      const model = new LanguageModel(tiny(kind), { seed: 1 });
      const text = 'the cat sat. '.repeat(20);
      const vocab = [...new Set(text)];
      const ids = Int32Array.from(text, (ch) => vocab.indexOf(ch));
      const seq = 48;
      const rows = (starts: number[], shift: number) =>
        new IntTensor(Int32Array.from(starts.flatMap((s) => [...ids.subarray(s + shift, s + shift + seq)])), [
          starts.length,
          seq,
        ]);
      const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
      const g = new Generator(4);
      const losses: number[] = [];
      for (let step = 0; step < 40; step++) {
        const starts = Array.from({ length: 4 }, () => g.randint(text.length - seq - 1));
        opt.zeroGrad();
        const loss = model.loss(rows(starts, 0), rows(starts, 1));
        loss.backward();
        opt.step();
        losses.push(loss.item());
      }
      const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
      const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
      assert.ok(last < first / 3, `loss fell from ${first.toFixed(3)} only to ${last.toFixed(3)}`);
    });

    for (const mixer of [kind, ['attention', kind]] as (MixerKind | MixerKind[])[]) {
      test(`generation through the state gives the full forward's logits (${JSON.stringify(mixer)})`, () =>
        noGrad(() => {
          const model = new LanguageModel(tiny(mixer), { seed: 6 });
          const [prefill, length] = [20, 40];
          const ids = randint(0, 12, [2, length], new Generator(7));
          const full = model.forward(ids);
          const state = model.newState(2, length + 8);
          const pieces = [model.forward(columns(ids, 0, prefill), { state })];
          for (let t = prefill; t < length; t++)
            pieces.push(model.forward(columns(ids, t, t + 1), { state }));
          assert.equal(state.pos, length);
          assert.deepEqual(
            state.layers.map((s) => s.kind),
            [0, 1].map((l) => (Array.isArray(mixer) ? mixer[l] : mixer)),
          );
          assertClose(cat(pieces, 1).data, full.data, tol, 'logits');
        }));
    }
  });
}

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/mixers/', import.meta.url));
/**
 * Relative RMS error against the float64 PyTorch reference: the output, and each gradient. Measured
 * (js / native backend; gradients: the worst of them):
 *   attention         y 9.8e-8 / 2.4e-7   gradients 1.3e-7 / 2.6e-7
 *   lstm              y 9.6e-8 / 2.2e-7   gradients 1.2e-7 / 3.0e-7
 *   linear-attention  y 1.8e-7 / 4.3e-7   gradients 4.4e-7 / 2.4e-6
 *   retnet            y 1.2e-7 / 3.0e-7   gradients 1.9e-7 / 5.1e-7
 *   gla               y 1.2e-7 / 2.5e-7   gradients 7.2e-7 / 1.6e-6
 *   mamba             y 9.4e-8 / 2.5e-7   gradients 2.1e-7 / 7.0e-7
 *   deltanet          y 1.4e-7 / 3.6e-7   gradients 2.6e-7 / 1.3e-6
 *   gated-deltanet    y 1.3e-7 / 3.6e-7   gradients 3.9e-7 / 6.9e-6
 * The worst, Gated DeltaNet's dt_bias on native, is two numbers, each a sum over 26 tokens whose terms
 * cancel elevenfold (js kernels accumulate in float64, native in float32). The fixtures run the chunkwise
 * forms over chunks that do not divide the length (5 into 13), and the short convolutions; a wrong norm
 * eps (1e-3 for 1e-5) already misses by 0.37.
 */
const TORCH_TOL = { y: 1e-5, grad: 1e-4 };

/**
 * The layer against its PyTorch reference (bench/torch/mixers/<kind>.py run in float64 by
 * scripts/fixtures/make_mixer_fixtures.py): <kind>.json gives the layer (dim, heads, bias, settings),
 * <kind>.safetensors its weights by jielong's names, x, gy, and the reference's y and grad.<name> of x and
 * every parameter for sum(y * gy). Every kind must have one: a new mixer comes with its PyTorch layer.
 */
function torchParity(kind: MixerKind): void {
  const file = `${FIXTURES}${kind}.safetensors`;
  test(`${kind}: output and every gradient match the PyTorch layer`, () => {
    const spec = JSON.parse(readFileSync(`${FIXTURES}${kind}.json`, 'utf8'));
    const { tensors } = loadSafetensors(file);
    const get = (name: string) => {
      const t = tensors.get(name);
      assert.ok(t instanceof Tensor, `${kind}.safetensors: no float tensor ${name}`);
      return t;
    };
    const results = /^(x|y|gy|grad\..*)$/;
    const weights = new Map([...tensors.keys()].filter((n) => !results.test(n)).map((n) => [n, get(n)]));
    for (const backend of backends()) {
      withBackend(backend, () => {
        const m = createMixer(
          kind,
          { ...spec, name: 'mixer', std: 0.02, projStd: 0.02, rotary: null },
          spec.settings,
        );
        m.loadStateDict(weights);
        const x = get('x').clone().requiresGrad_();
        const y = m.forward(x, ctx());
        assertClose(y.data, get('y').data, TORCH_TOL.y, `${backend}: y`);
        y.backward(get('gy'));
        for (const [name, t] of [['x', x] as const, ...m.namedParameters()]) {
          assertClose(
            (t.grad as Tensor).data,
            get(`grad.${name}`).data,
            TORCH_TOL.grad,
            `${backend}: gradient of ${name}`,
          );
        }
      });
    }
  });
}
