// Causal tracing (Meng et al., 2022, ROME), activation patching over every layer and position as in
// TransformerLens's patching module: run the prompt clean and corrupted, then rerun the corrupted prompt
// once per (layer, position) with one clean activation restored there, and measure how much of the clean
// answer comes back. Where restoring a single state recovers most of it, that state carries the fact.
//
// Corruption is either another prompt of the same length (the patching setup of TransformerLens) or, as
// ROME does, Gaussian noise on the token embeddings of the subject. With noise, each of `samples` draws is
// one row of a batch; the clean run is tiled to the same batch, so clean and corrupted activations line
// up row for row and a patched run is the same noisy forward with one state put back.
import type { LanguageModel } from '../model/index.js';
import { Generator, IntTensor, Tensor } from '../tensor/index.js';
import { runWithCache } from './cache.js';
import { type Hook, runWithHooks } from './hooks.js';
import { patch } from './interventions.js';

/**
 * What is restored: the residual stream after block i (ROME's "hidden state" of layer i:
 * blocks.{i}.hook_resid_post), the mixer's output (blocks.{i}.hook_attn_out, for every kind of mixer), or
 * the MLP's output (blocks.{i}.hook_mlp_out).
 */
export type TraceComponent = 'resid' | 'mixer' | 'mlp';

const TRACE_COMPONENTS: readonly TraceComponent[] = ['resid', 'mixer', 'mlp'];

const POINT: Record<TraceComponent, string> = {
  resid: 'hook_resid_post',
  mixer: 'hook_attn_out',
  mlp: 'hook_mlp_out',
};

/** The hook point a component of block `layer` is read from and restored at. */
export function tracePoint(component: TraceComponent, layer: number): string {
  return `blocks.${layer}.${POINT[component]}`;
}

export type Corruption =
  /** Another prompt with as many tokens, e.g. a different subject (the clean one's positions line up). */
  | { kind: 'substitute'; ids: IntTensor }
  /**
   * Noise N(0, scale^2) added to the token embeddings (hook_embed) at `positions` (the subject's
   * tokens). `scale` defaults to 3 x the standard deviation of the token embedding matrix (ROME's
   * 3 sigma); results are averaged over `samples` draws (default 5) from a Generator seeded by `seed`
   * (default 0), so a trace is reproducible.
   */
  | { kind: 'noise'; positions: readonly number[]; scale?: number; samples?: number; seed?: number };

export interface TraceTarget {
  /** The answer token, read at the last position. */
  answer: number;
  /** A contrasting token: also measure logit(answer) - logit(foil). */
  foil?: number;
  corruption: Corruption;
}

/** The metrics of one run at the last position, averaged over noise draws. */
export interface TraceMetrics {
  /** The answer's probability (ROME's measure). */
  prob: number;
  /** logit(answer) - logit(foil); null without a foil. */
  logitDiff: number | null;
}

/** A clean and a corrupted run, ready to be patched. */
export interface Tracer {
  readonly clean: TraceMetrics;
  readonly corrupt: TraceMetrics;
  /** The token positions the corruption touches (noise positions, or where the substitute differs). */
  readonly corrupted: readonly number[];
  /** The prompt's length. */
  readonly positions: number;
  /**
   * The corrupted run with the clean activation of `component` in block `layer` restored at
   * `positions` (every position when absent).
   */
  restore(component: TraceComponent, layer: number, positions?: readonly number[]): TraceMetrics;
}

const OP = 'causalTrace';

function checkToken(what: string, t: number, vocab: number): void {
  if (!Number.isInteger(t) || t < 0 || t >= vocab)
    throw new Error(`${OP}: the ${what} token ${t} is outside the vocabulary of ${vocab}`);
}

function checkPosition(what: string, p: number, T: number): void {
  if (!Number.isInteger(p) || p < 0 || p >= T)
    throw new Error(`${OP}: ${what} ${p} is out of range for a prompt of ${T} tokens`);
}

/** The population standard deviation of a tensor's entries. */
function std(t: Tensor): number {
  let [s, s2] = [0, 0];
  for (const v of t.data) [s, s2] = [s + v, s2 + v * v];
  const m = s / t.data.length;
  return Math.sqrt(Math.max(0, s2 / t.data.length - m * m));
}

/** The run a corruption makes: the ids it feeds, the hooks it adds, and the batch of draws. */
function corruptionOf(
  model: LanguageModel,
  ids: IntTensor,
  corruption: Corruption,
): { ids: IntTensor; hooks: Hook[]; batch: number; corrupted: number[] } {
  const T = ids.shape[1];
  if (corruption.kind === 'substitute') {
    const sub = corruption.ids;
    if (sub.shape.join() !== ids.shape.join())
      throw new Error(
        `${OP}: the substituted prompt is [${sub.shape}], the clean one [${ids.shape}]; ` +
          'it must have as many tokens so that positions line up',
      );
    const corrupted = Array.from({ length: T }, (_, p) => p).filter((p) => sub.data[p] !== ids.data[p]);
    return { ids: sub, hooks: [], batch: 1, corrupted };
  }
  const { positions, samples = 5, seed = 0 } = corruption;
  const d = model.config.nEmbd;
  if (positions.length === 0) throw new Error(`${OP}: noise needs at least one position to corrupt`);
  for (const p of positions) checkPosition('noise position', p, T);
  const corrupted = [...new Set(positions)].sort((a, b) => a - b);
  if (corrupted.length !== positions.length)
    throw new Error(`${OP}: noise positions [${positions}] name a position twice`);
  if (!Number.isInteger(samples) || samples < 1)
    throw new Error(`${OP}: samples must be a whole number >= 1, got ${samples}`);
  const scale = corruption.scale ?? 3 * std(model.transformer.wte.weight);
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`${OP}: noise scale must be > 0, got ${scale}`);
  // One draw per sample, position and channel, in that order, zero elsewhere: x + 0 is x, so the
  // untouched positions stay bit-identical to the clean run.
  const g = new Generator(seed);
  const noise = new Float32Array(samples * T * d);
  for (let s = 0; s < samples; s++)
    for (const p of corrupted) for (let j = 0; j < d; j++) noise[(s * T + p) * d + j] = scale * g.normal();
  const hook: Hook = {
    name: 'hook_embed',
    fn: (t) =>
      new Tensor(
        t.data.map((v, i) => v + noise[i]),
        [...t.shape],
      ),
  };
  return { ids: tile(ids, samples), hooks: [hook], batch: samples, corrupted };
}

/** One prompt [1, T] repeated as a batch [n, T]. */
function tile(ids: IntTensor, n: number): IntTensor {
  const T = ids.shape[1];
  return new IntTensor(
    Int32Array.from({ length: n * T }, (_, i) => ids.data[i % T]),
    [n, T],
  );
}

/** The answer's probability and logit difference at the last position, averaged over the batch. */
function metricsOf(logits: Tensor, answer: number, foil: number | undefined): TraceMetrics {
  const [B, T, V] = logits.shape;
  let [prob, diff] = [0, 0];
  for (let b = 0; b < B; b++) {
    const row = logits.data.subarray((b * T + T - 1) * V, (b * T + T) * V);
    let max = Number.NEGATIVE_INFINITY;
    for (const v of row) max = Math.max(max, v);
    let z = 0;
    for (const v of row) z += Math.exp(v - max);
    prob += Math.exp(row[answer] - max) / z;
    if (foil !== undefined) diff += row[answer] - row[foil];
  }
  return { prob: prob / B, logitDiff: foil === undefined ? null : diff / B };
}

/**
 * Runs `ids` [1, T] clean (keeping the activations of `components`) and corrupted, and returns a Tracer
 * that measures any restoration against them.
 */
export function prepareTrace(
  model: LanguageModel,
  ids: IntTensor,
  target: TraceTarget,
  components: readonly TraceComponent[] = TRACE_COMPONENTS,
): Tracer {
  if (ids.ndim !== 2 || ids.shape[0] !== 1)
    throw new Error(`${OP}: expected one prompt [1, seq], got [${ids.shape}]`);
  const { answer, foil } = target;
  const vocab = model.config.vocabSize;
  const L = model.config.nLayer;
  const T = ids.shape[1];
  checkToken('answer', answer, vocab);
  if (foil !== undefined) {
    checkToken('foil', foil, vocab);
    if (foil === answer)
      throw new Error(`${OP}: the foil ${foil} is the answer; a logit difference needs two tokens`);
  }
  const run = corruptionOf(model, ids, target.corruption);
  const names = components.flatMap((c) => Array.from({ length: L }, (_, l) => tracePoint(c, l)));
  const clean = runWithCache(model, tile(ids, run.batch), { names });
  const measure = (hooks: Hook[]) => metricsOf(runWithHooks(model, run.ids, hooks), answer, foil);
  return {
    clean: metricsOf(clean.logits, answer, foil),
    corrupt: measure(run.hooks),
    corrupted: run.corrupted,
    positions: T,
    restore(component, layer, positions) {
      if (!components.includes(component))
        throw new Error(`${OP}: ${component} was not traced (components: ${components.join(', ')})`);
      if (!Number.isInteger(layer) || layer < 0 || layer >= L)
        throw new Error(`${OP}: layer ${layer} is out of range for a model of ${L} layers`);
      for (const p of positions ?? []) checkPosition('position', p, T);
      const name = tracePoint(component, layer);
      return measure([...run.hooks, patch(name, clean.cache.get(name), positions ? { positions } : {})]);
    },
  };
}

/** One component's grid: [layer][position]. */
export interface TraceGrid {
  /** The metric with that state restored. */
  patched: number[][];
  /** (patched - corrupt) / (clean - corrupt): 1 is all of the clean answer back; NaN when clean == corrupt. */
  recovered: number[][];
}

export interface MetricTrace<C extends TraceComponent> {
  clean: number;
  corrupt: number;
  grids: Record<C, TraceGrid>;
}

export interface CausalTrace<C extends TraceComponent = TraceComponent> {
  components: readonly C[];
  /** The prompt's length (the grids' columns). */
  positions: number;
  /** The positions the corruption touches. */
  corrupted: readonly number[];
  prob: MetricTrace<C>;
  /** With a foil only. */
  logitDiff: MetricTrace<C> | null;
}

/**
 * Causal tracing of `ids` [1, T]: for each component (default all three), each layer and each position,
 * the corrupted run with that one clean state restored. nLayer x T runs per component.
 */
export function causalTrace<C extends TraceComponent = TraceComponent>(
  model: LanguageModel,
  ids: IntTensor,
  target: TraceTarget & { components?: readonly C[] },
): CausalTrace<C> {
  const components = (target.components ?? TRACE_COMPONENTS) as readonly C[];
  if (components.length === 0) throw new Error(`${OP}: no components to trace`);
  const tracer = prepareTrace(model, ids, target, components);
  const L = model.config.nLayer;
  const T = tracer.positions;
  const runs = new Map<C, TraceMetrics[][]>();
  for (const c of components) {
    runs.set(
      c,
      Array.from({ length: L }, (_, l) => Array.from({ length: T }, (_, p) => tracer.restore(c, l, [p]))),
    );
  }
  const metric = (key: keyof TraceMetrics): MetricTrace<C> => {
    const clean = tracer.clean[key] as number;
    const corrupt = tracer.corrupt[key] as number;
    const grids = {} as Record<C, TraceGrid>;
    for (const [c, rows] of runs) {
      const patched = rows.map((row) => row.map((m) => m[key] as number));
      const recovered = patched.map((row) =>
        row.map((v) => (clean === corrupt ? Number.NaN : (v - corrupt) / (clean - corrupt))),
      );
      grids[c] = { patched, recovered };
    }
    return { clean, corrupt, grids };
  };
  return {
    components,
    positions: T,
    corrupted: tracer.corrupted,
    prob: metric('prob'),
    logitDiff: target.foil === undefined ? null : metric('logitDiff'),
  };
}
