// Everything an edit needs besides the requests, prepared once per model: the layers (ROME: the one causal
// tracing picks; MEMIT: the first half of the stack, where the paper finds facts recalled), each layer's key
// covariance from ordinary text, and the contexts keys and values are averaged over. `applyEdits` then
// runs ROME on the requests one after another, or MEMIT on all of them at once.
import type { World } from '../../data/index.js';
import type { LanguageModel } from '../../model/index.js';
import type { IntTensor } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { Matrix } from '../linalg.js';
import { type EditRequest, keyCovariance } from './keys.js';
import { memit } from './memit.js';
import { type EditResult, regularised, rome, tracedLayer } from './rome.js';

export const EDIT_METHODS = ['rome', 'memit'] as const;
export type EditMethod = (typeof EDIT_METHODS)[number];

/** Short openings put before a prompt (ROME averages over prefixes so the edit holds in any context). */
export const DEFAULT_CONTEXTS = ['', 'Later, ', 'One day, ', 'It is known that ', 'Then '] as const;

export interface EditSetup {
  method: EditMethod;
  layers: number[];
  covariances: Map<number, Matrix>;
  contexts: string[];
  /** MEMIT's λ (default 100). */
  lambda: number;
  steps?: number;
}

export function prepareEdits(
  model: LanguageModel,
  tokenizer: Tokenizer,
  options: {
    method: EditMethod;
    /** Ordinary text the covariance is estimated on, [B, T] ids. */
    windows: IntTensor;
    /** Facts the model knows, for causal tracing (when ROME's layer is not given). */
    world?: World;
    layers?: readonly number[];
    contexts?: readonly string[];
    lambda?: number;
    steps?: number;
  },
): EditSetup {
  const L = model.config.nLayer;
  let layers = options.layers ? [...options.layers] : null;
  for (const l of layers ?? [])
    if (!Number.isInteger(l) || l < 0 || l >= L)
      throw new Error(`edit: layer ${l} is not in the model (0..${L - 1})`);
  if (!layers) {
    if (options.method === 'memit')
      layers = Array.from({ length: Math.max(1, Math.ceil(L / 2)) }, (_, l) => l);
    else {
      if (!options.world) throw new Error('edit: ROME needs a layer, or facts to trace one from');
      layers = [tracedLayer(model, tokenizer, options.world.facts).layer];
    }
  }
  if (options.method === 'rome' && layers.length !== 1)
    throw new Error(`edit: ROME edits one layer, got ${layers.length}`);
  const covariances = new Map(
    layers.map((l) => {
      const c = keyCovariance(model, options.windows, l);
      return [l, options.method === 'rome' ? regularised(c, 1e-2) : regularised(c, 1e-4)];
    }),
  );
  // Contexts the tokenizer cannot write (a character model's missing letters) are left out.
  const contexts = (options.contexts ?? DEFAULT_CONTEXTS).filter((c) => {
    try {
      tokenizer.encode(c);
      return true;
    } catch {
      return false;
    }
  });
  return {
    method: options.method,
    layers,
    covariances,
    contexts,
    lambda: options.lambda ?? 100,
    steps: options.steps,
  };
}

/** ROME on each request in turn (`onEach` after each), or MEMIT on all at once. */
export function applyEdits(
  model: LanguageModel,
  tokenizer: Tokenizer,
  requests: readonly EditRequest[],
  setup: EditSetup,
  onEach?: (done: number, result: EditResult) => void,
): EditResult[] {
  const value = { contexts: setup.contexts, steps: setup.steps };
  if (setup.method === 'memit') {
    const r = memit(model, tokenizer, requests, {
      ...value,
      layers: setup.layers,
      covariances: setup.covariances,
      lambda: setup.lambda,
    });
    onEach?.(requests.length, r);
    return [r];
  }
  const [layer] = setup.layers;
  const covariance = setup.covariances.get(layer) as Matrix;
  return requests.map((request, i) => {
    const r = rome(model, tokenizer, request, { ...value, layer, covariance });
    onEach?.(i + 1, r);
    return r;
  });
}
