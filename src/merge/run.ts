// Running a recipe: plan every output tensor (which models' tensors go into it, with which parameters),
// check the plan against every model's headers before a tensor is read, then write the merged folder
// tensor by tensor, so memory holds one tensor of each model at a time, whatever the models' size.
//   models:  every tensor of the base (linear: of the first model), merged from the same tensor of each
//   slices:  the output's blocks are the slices' layer ranges in order (mergekit's frankenmerges); the
//            tensors outside the blocks merge as in the first slice
import { createHash } from 'node:crypto';
import {
  encodeFloats,
  type FloatDtype,
  safetensorsPieces,
  type TensorInfo,
  type TensorOut,
  writeDirAtomic,
} from '../io/index.js';
import { Generator, Tensor } from '../tensor/index.js';
import { manifestOf, OPTIONAL_FILES, REQUIRED_FILES } from '../train/index.js';
import { breadcrumbs, dare, della, linear, modelStock, slerp, taskArithmetic, ties } from './methods.js';
import type { MergeMethod, Parameter, Recipe } from './recipe.js';
import { BASELESS, resolveParameter } from './recipe.js';
import { layerOf, ModelFolder, SIDE_FILES } from './source.js';

export interface MergeOptions {
  /** The merged model's folder (replaced atomically). */
  out: string;
  /** Names the recipe in errors. */
  recipeFile?: string;
  /** Seeds DARE's and DELLA's random drops (each tensor draws from its own stream). */
  seed?: number;
  /** Check jielong checkpoints' checksums before merging (default true). */
  verify?: boolean;
  onProgress?: (p: { done: number; total: number; tensor: string; bytes: number }) => void;
}

export interface MergeReport {
  out: string;
  format: 'jielong' | 'hf';
  tensors: number;
  bytes: number;
  layers: number;
  seconds: number;
}

type Parameters = Record<string, Parameter>;
interface Input {
  folder: ModelFolder;
  name: string;
  parameters: Parameters;
}
interface Planned {
  name: string;
  info: TensorInfo;
  /** The tensor the method merges into; for linear and passthrough, the one whose type and shape it keeps. */
  base: Input | null;
  models: Input[];
  /** Where the tensor sits in the output's blocks, 0 to 1 (0 outside them): what gradients read. */
  layerFraction: number;
}

/** The small files a checkpoint's manifest lists (the weights are hashed as they stream). */
const CHECKPOINT_FILES: readonly string[] = [...REQUIRED_FILES, ...OPTIONAL_FILES];

const DTYPE_OF: Record<NonNullable<Recipe['dtype']>, FloatDtype> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
};

/** FNV-1a of the tensor's name: each tensor's drops come from its own stream, whatever the order. */
function streamOf(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function mergeModels(recipe: Recipe, options: MergeOptions): MergeReport {
  const started = performance.now();
  const file = options.recipeFile ?? 'recipe';
  const folders = new Map<string, ModelFolder>();
  const open = (path: string) => {
    let f = folders.get(path);
    if (!f) {
      f = ModelFolder.open(path, { verify: options.verify });
      folders.set(path, f);
    }
    return f;
  };
  try {
    const { plan, layers, layerSources } = recipe.slices
      ? planSlices(recipe, open, file)
      : planModels(recipe, open, file);
    const reference = plan[0]?.base?.folder ?? plan[0]?.models[0]?.folder;
    if (!reference) throw new Error(`${file}: the models hold no tensors`);
    if (recipe.tokenizer_source === 'union')
      throw new Error(`${file}: tokenizer_source: "union" is not supported (give base or a model)`);
    const tokenizerSource =
      recipe.tokenizer_source === undefined || recipe.tokenizer_source === 'base'
        ? reference
        : open(recipe.tokenizer_source);

    let done = 0;
    let bytes = 0;
    const hash = createHash('sha256');
    const tensors = new Map<string, TensorOut>();
    for (const p of plan) {
      const float =
        p.info.dtype === 'F32' || p.info.dtype === 'F16' || p.info.dtype === 'BF16' || p.info.dtype === 'F64';
      const dtype: TensorOut['dtype'] = float
        ? recipe.dtype
          ? DTYPE_OF[recipe.dtype]
          : p.info.dtype === 'F64'
            ? 'F32'
            : p.info.dtype
        : 'I32';
      tensors.set(p.name, {
        dtype,
        shape: p.info.shape,
        bytes: () => {
          const out = float
            ? encodeFloats(dtype as FloatDtype, mergeTensor(recipe, p, options.seed ?? 0, file))
            : copyInts(p);
          bytes += out.length;
          options.onProgress?.({ done: ++done, total: plan.length, tensor: p.name, bytes });
          return out;
        },
      });
    }
    const side: Record<string, Buffer> = {};
    for (const name of SIDE_FILES) {
      const from = name === 'config.json' || name === 'generation_config.json' ? reference : tokenizerSource;
      const data = from.sideFile(name);
      if (data) side[name] = data;
    }
    if (side['config.json'] && recipe.slices)
      side['config.json'] = Buffer.from(configWithLayers(side['config.json'], layers, layerSources, file));
    const jielong = reference.jielong;
    let size = 0;
    const files: Record<string, Iterable<Uint8Array> | Uint8Array> = {
      ...side,
      // Hashed and counted as it streams: checkpoint.json, written after it, lists both.
      'model.safetensors': (function* () {
        const meta = { format: 'pt', merged_by: `jielong ${recipe.merge_method}` };
        for (const piece of safetensorsPieces(tensors, meta)) {
          hash.update(piece);
          size += piece.length;
          yield piece;
        }
      })(),
    };
    if (jielong) {
      const listed = Object.fromEntries(Object.entries(side).filter(([n]) => CHECKPOINT_FILES.includes(n)));
      files['checkpoint.json'] = (function* () {
        const manifest = manifestOf(listed);
        manifest.files['model.safetensors'] = { bytes: size, sha256: hash.digest('hex') };
        yield Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
      })();
      for (const n of Object.keys(side)) if (!Object.hasOwn(listed, n)) delete files[n];
    }
    writeDirAtomic(options.out, files);
    return {
      out: options.out,
      format: jielong ? 'jielong' : 'hf',
      tensors: plan.length,
      bytes: size,
      layers,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    for (const f of folders.values()) f.close();
  }
}

function copyInts(p: Planned): Uint8Array {
  const from = p.base ?? p.models[0];
  const t = from.folder.read(from.name);
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return bytes;
}

/** A parameter of one input for one tensor: the model's own, else the recipe's, else `fallback`. */
function parameterOf(
  recipe: Recipe,
  input: Input | null,
  key: string,
  p: Planned,
  fallback?: number,
): number | undefined {
  const raw = input?.parameters[key] ?? recipe.parameters?.[key];
  return raw === undefined ? fallback : resolveParameter(raw, p.name, p.layerFraction);
}

function mergeTensor(recipe: Recipe, p: Planned, seed: number, file: string): Float32Array {
  const method = recipe.merge_method;
  const read = (i: Input) => {
    const t = i.folder.read(i.name);
    return t instanceof Tensor ? t.data : Float32Array.from(t.data);
  };
  const required = (i: Input | null, key: string) => {
    const v = parameterOf(recipe, i, key, p);
    if (v === undefined) throw new Error(`${file}: ${method} needs the parameter ${key} (for ${p.name})`);
    return v;
  };
  if (method === 'passthrough') return read(p.base ?? p.models[0]);
  const models = p.models.map((m) => ({
    tensor: read(m),
    weight: parameterOf(recipe, m, 'weight', p, 1) as number,
    density: parameterOf(recipe, m, 'density', p),
  }));
  if (method === 'linear')
    return linear(models, { normalize: (parameterOf(recipe, null, 'normalize', p, 1) as number) !== 0 });
  const base = read(p.base as Input);
  if (method === 'slerp') return slerp(base, models[0].tensor, required(null, 't'));
  if (method === 'model_stock') return modelStock({ base, models });
  const lambda = parameterOf(recipe, null, 'lambda', p, 1) as number;
  // mergekit's normalize divides the weights by their sum; TIES' agreeing mean is normalised by design.
  const normalize = parameterOf(recipe, null, 'normalize', p, 0) as number;
  if (normalize && ['task_arithmetic', 'dare_linear', 'breadcrumbs'].includes(method)) {
    const total = models.reduce((s, m) => s + m.weight, 0);
    for (const m of models) m.weight /= total;
  }
  const input = { base, models };
  const generator = new Generator(streamOf(p.name, seed));
  switch (method) {
    case 'task_arithmetic':
      return taskArithmetic(input, { lambda });
    case 'ties':
      return ties(input, { density: 1, lambda });
    case 'dare_linear':
    case 'dare_ties':
      return dare(input, {
        density: 1,
        consensus: method === 'dare_ties' ? 'ties' : 'linear',
        generator,
        lambda,
      });
    case 'breadcrumbs':
      return breadcrumbs(input, {
        density: 1,
        gamma: parameterOf(recipe, null, 'gamma', p, 0.01) as number,
        lambda,
      });
    case 'della':
      return della(input, { density: 1, epsilon: required(null, 'epsilon'), generator, lambda });
  }
}

type Open = (path: string) => ModelFolder;

function checkSame(
  file: string,
  where: string,
  folder: ModelFolder,
  name: string,
  want: TensorInfo,
  wantFrom: string,
) {
  const got = folder.tensors.get(name);
  if (!got) throw new Error(`${file}: ${where}: ${folder.path} has no tensor ${name} (${wantFrom} has)`);
  if (got.shape.join() !== want.shape.join())
    throw new Error(
      `${file}: ${where}: ${name} is [${got.shape.join(', ')}] in ${folder.path} but [${want.shape.join(', ')}] in ${wantFrom}`,
    );
}

function planModels(recipe: Recipe, open: Open, file: string) {
  const entries = recipe.models ?? [];
  const based = !BASELESS.includes(recipe.merge_method);
  const baseFolder = based && recipe.base_model ? open(recipe.base_model) : null;
  const others = entries
    .map((m, i) => ({ ...m, where: `models.${i}` }))
    .filter((m) => !based || m.model !== recipe.base_model);
  checkCount(recipe.merge_method, others.length, file, 'models');
  const reference = baseFolder ?? open(others[0].model);
  const plan: Planned[] = [];
  for (const [name, info] of reference.tensors) {
    const models = others.map((m) => {
      const folder = open(m.model);
      checkSame(file, m.where, folder, name, info, reference.path);
      return { folder, name, parameters: m.parameters ?? {} };
    });
    const at = layerOf(name);
    plan.push({
      name,
      info,
      base: baseFolder ? { folder: baseFolder, name, parameters: {} } : null,
      models,
      layerFraction: at && reference.layers > 1 ? at.layer / (reference.layers - 1) : 0,
    });
  }
  return { plan, layers: reference.layers, layerSources: [] as { folder: ModelFolder; layer: number }[] };
}

function checkCount(method: MergeMethod, n: number, file: string, where: string) {
  const want =
    method === 'slerp' || method === 'passthrough'
      ? [1, 1]
      : method === 'model_stock'
        ? [2, Infinity]
        : [1, Infinity];
  if (n < want[0] || n > want[1])
    throw new Error(
      `${file}: ${where}: ${method} takes ${want[0] === want[1] ? `exactly ${want[0]}` : `at least ${want[0]}`} model${want[0] === 1 && want[1] === 1 ? '' : 's'} beside the base, got ${n}`,
    );
}

function planSlices(recipe: Recipe, open: Open, file: string) {
  const slices = recipe.slices ?? [];
  const based = !BASELESS.includes(recipe.merge_method);
  const plan: Planned[] = [];
  const layerSources: { folder: ModelFolder; layer: number }[] = [];
  const total = slices.reduce((n, s) => n + (s.sources[0].layer_range[1] - s.sources[0].layer_range[0]), 0);
  const fraction = (layer: number) => (total > 1 ? layer / (total - 1) : 0);
  const sliceInputs = slices.map((slice, k) => {
    const where = `slices.${k}.sources`;
    const sources = slice.sources.map((s, j) => {
      const folder = open(s.model);
      const [from, to] = s.layer_range;
      if (from >= to || to > folder.layers)
        throw new Error(
          `${file}: ${where}.${j}.layer_range: [${from}, ${to}] is not a range within ${folder.path}'s ${folder.layers} layers`,
        );
      return { ...s, folder };
    });
    const length = sources[0].layer_range[1] - sources[0].layer_range[0];
    for (const [j, s] of sources.entries())
      if (s.layer_range[1] - s.layer_range[0] !== length)
        throw new Error(
          `${file}: ${where}.${j}.layer_range: ${s.layer_range[1] - s.layer_range[0]} layers, the slice's first source has ${length}`,
        );
    const base = based ? sources.find((s) => s.model === recipe.base_model) : undefined;
    if (based && !base)
      throw new Error(
        `${file}: ${where}: ${recipe.merge_method} needs the base model (${recipe.base_model}) among each slice's sources`,
      );
    const others = sources.filter((s) => s !== base);
    checkCount(recipe.merge_method, others.length, file, where);
    return { where, base, others, reference: base ?? others[0], length };
  });
  const inputOf = (s: { folder: ModelFolder; parameters?: Parameters }, name: string): Input => ({
    folder: s.folder,
    name,
    parameters: s.parameters ?? {},
  });
  // Outside the blocks: the first slice's models.
  const first = sliceInputs[0];
  for (const [name, info] of first.reference.folder.tensors) {
    if (layerOf(name)) continue;
    for (const s of first.others)
      checkSame(file, first.where, s.folder, name, info, first.reference.folder.path);
    plan.push({
      name,
      info,
      base: first.base ? inputOf(first.base, name) : null,
      models: first.others.map((s) => inputOf(s, name)),
      layerFraction: 0,
    });
  }
  let out = 0;
  for (const s of sliceInputs) {
    for (let i = 0; i < s.length; i++, out++) {
      const refLayer = s.reference.layer_range[0] + i;
      layerSources.push({ folder: s.reference.folder, layer: refLayer });
      for (const [name, info] of s.reference.folder.tensors) {
        const at = layerOf(name);
        if (!at || at.layer !== refLayer) continue;
        const nameIn = (src: { layer_range: [number, number] }) =>
          `${at.prefix}${src.layer_range[0] + i}${at.rest}`;
        for (const o of s.others)
          checkSame(file, s.where, o.folder, nameIn(o), info, s.reference.folder.path);
        plan.push({
          name: `${at.prefix}${out}${at.rest}`,
          info,
          base: s.base ? inputOf(s.base, nameIn(s.base)) : null,
          models: s.others.map((o) => inputOf(o, nameIn(o))),
          layerFraction: fraction(out),
        });
      }
    }
  }
  return { plan, layers: total, layerSources };
}

/** The base's config with the output's layer count (and, for jielong hybrids, each layer's mixer). */
function configWithLayers(
  raw: Buffer,
  layers: number,
  sources: readonly { folder: ModelFolder; layer: number }[],
  file: string,
): string {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new Error(`${file}: the base's config.json is not valid JSON (${(e as Error).message})`);
  }
  for (const key of ['nLayer', 'n_layer', 'num_hidden_layers', 'n_layers'])
    if (key in config) config[key] = layers;
  if (Array.isArray(config.mixer)) {
    config.mixer = sources.map(({ folder, layer }) => {
      const own = JSON.parse(folder.sideFile('config.json')?.toString('utf8') ?? '{}').mixer;
      return Array.isArray(own) ? own[layer] : own;
    });
  }
  return `${JSON.stringify(config, null, 2)}\n`;
}
