// A checkpoint is a folder, written atomically (a reader never sees half of one):
//   model.safetensors      parameters by Hugging Face GPT-2 names
//   config.json            the model config (plain JSON)
//   tokenizer.json         the tokenizer (Hugging Face format)
//   optimizer.safetensors  AdamW moments, `<param>.exp_avg` and `<param>.exp_avg_sq` (training only)
//   trainer.json           where training stands: iteration, random states, options (training only)
//   checkpoint.json        manifest: every file's size and SHA-256 (manifest.ts)
// Loading trusts nothing in the folder: the files are checked against the manifest, the config against its
// schema, and both safetensors headers against the names and shapes the config implies, before a single
// tensor is allocated.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  parseSafetensors,
  recoverDirAtomic,
  safetensorsHeader,
  serializeSafetensors,
  type TensorInfo,
  writeDirAtomic,
} from '../io/index.js';
import { LanguageModel, type ModelConfig, parameterShapes, parseConfig } from '../model/index.js';
import { ShapeBudgetError } from '../nn/index.js';
import { Tensor } from '../tensor/index.js';
import {
  parseTokenizerConfig,
  type Tokenizer,
  type TokenizerConfig,
  tokenizerFromJSON,
} from '../tokenizer/index.js';
import { fault, manifestOf, parseJson, readCheckpointFiles } from './manifest.js';
import type { AdamW } from './optim.js';

export interface OptimizerSnapshot {
  step: number;
  moments: Map<string, { m: Float32Array; v: Float32Array }>;
}

export interface Checkpoint {
  config: ModelConfig;
  model: LanguageModel;
  tokenizer: Tokenizer;
  /** tokenizer_config.json (the chat template, bos and eos), or null when the folder has none. */
  tokenizerConfig: TokenizerConfig | null;
  optimizer: OptimizerSnapshot | null;
  /** trainer.json as saved (the trainer checks it when resuming), or null for a model-only checkpoint. */
  trainer: unknown;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The first parameter holding NaN or an infinity, if any. */
export function nonFiniteParameter(model: LanguageModel): string | null {
  for (const [name, p] of model.namedParameters()) if (!p.data.every(Number.isFinite)) return name;
  return null;
}

export function saveCheckpoint(
  dir: string,
  parts: {
    model: LanguageModel;
    tokenizer: Tokenizer;
    tokenizerConfig?: TokenizerConfig | null;
    optimizer?: AdamW;
    trainer?: unknown;
    /** Files that live in the folder but change between saves (metrics.jsonl): kept, not checksummed. */
    unlisted?: Record<string, string | Uint8Array>;
  },
): void {
  const { model, tokenizer, optimizer, trainer } = parts;
  // Last line of defence: a diverged model must never replace a good checkpoint.
  const bad = nonFiniteParameter(model);
  if (bad) throw new Error(`saveCheckpoint ${dir}: ${bad} holds NaN or infinite values; nothing was saved`);
  const files: Record<string, string | Uint8Array> = {
    'model.safetensors': serializeSafetensors(model.stateDict(), { format: 'pt' }),
    'config.json': json(model.config),
    'tokenizer.json': json(tokenizer.toJSON()),
  };
  if (parts.tokenizerConfig) files['tokenizer_config.json'] = json(parts.tokenizerConfig);
  if (optimizer) {
    // Every parameter gets its moments (zero, as AdamW starts them, where it has none yet): the loader
    // then demands the full set and a missing tensor is damage, not a fresh start.
    const moments = new Map<string, Tensor>();
    for (const [name, p] of model.namedParameters()) {
      const s = optimizer.state.get(p);
      moments.set(`${name}.exp_avg`, new Tensor(s?.m ?? new Float32Array(p.numel()), p.shape));
      moments.set(`${name}.exp_avg_sq`, new Tensor(s?.v ?? new Float32Array(p.numel()), p.shape));
    }
    files['optimizer.safetensors'] = serializeSafetensors(moments, { step: String(optimizer.stepCount) });
  }
  if (trainer !== undefined) files['trainer.json'] = json(trainer);
  files['checkpoint.json'] = json(manifestOf(files));
  mkdirSync(dirname(dir), { recursive: true });
  writeDirAtomic(dir, { ...parts.unlisted, ...files });
}

/**
 * The config's numbers (mixer settings included) equal to one of `dims` that the file has in no shape:
 * the fields a wrong shape most likely came from.
 */
function fieldsWith(config: ModelConfig, shape: readonly number[], header: Map<string, TensorInfo>): string {
  const inFile = new Set([...header.values()].flatMap((t) => t.shape));
  const dims = shape.filter((d) => !inFile.has(d));
  if (dims.length === 0) return ` (config.json nLayer ${config.nLayer}, or a layer larger than the file's)`;
  const numbers: [string, unknown][] = [
    ...Object.entries(config),
    ...Object.entries(config.mixerOptions ?? {}).flatMap(([kind, s]) =>
      Object.entries(s ?? {}).map(([k, v]): [string, unknown] => [`mixerOptions.${kind}.${k}`, v]),
    ),
  ];
  const hits = numbers
    .filter(([, v]) => typeof v === 'number' && dims.includes(v))
    .map(([k, v]) => `${k} ${v}`);
  return hits.length ? ` (config.json ${hits.join(', ')})` : '';
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * The parameters `config` implies, found without allocating them, must be exactly the float tensors of
 * the header, name for name and shape for shape.
 */
function checkWeights(dir: string, config: ModelConfig, header: Map<string, TensorInfo>): void {
  const file = 'model.safetensors';
  let held = 0;
  for (const t of header.values()) held += t.shape.reduce((a, b) => a * b, 1);
  let expected: Map<string, number[]>;
  try {
    expected = parameterShapes(config, held);
  } catch (e) {
    if (!(e instanceof ShapeBudgetError)) throw fault(dir, 'config.json', (e as Error).message);
    throw fault(
      dir,
      'config.json',
      `describes a model larger than the ${held} values ${file} holds: a parameter of shape ${fmt(e.shape)}${fieldsWith(config, e.shape, header)} does not fit`,
    );
  }
  for (const [name, shape] of expected) {
    const got = header.get(name);
    if (!got) throw fault(dir, file, `has no tensor ${name}, which config.json implies`);
    if (got.dtype !== 'F32' && got.dtype !== 'F64' && got.dtype !== 'F16' && got.dtype !== 'BF16')
      throw fault(dir, file, `${name} is ${got.dtype}, not a float tensor`);
    if (got.shape.join() !== shape.join()) {
      throw fault(
        dir,
        file,
        `${name} has shape ${fmt(got.shape)} but config.json implies ${fmt(shape)}${fieldsWith(config, shape, header)}`,
      );
    }
  }
  for (const name of header.keys()) {
    if (!expected.has(name)) throw fault(dir, file, `holds ${name}, which config.json has no parameter for`);
  }
}

/** optimizer.safetensors: both moments of every parameter, of its shape, and a whole step count. */
function checkOptimizer(
  dir: string,
  model: LanguageModel,
  header: { tensors: Map<string, TensorInfo>; metadata: Record<string, string> },
): number {
  const file = 'optimizer.safetensors';
  const want = new Map<string, readonly number[]>();
  for (const [name, p] of model.namedParameters()) {
    want.set(`${name}.exp_avg`, p.shape);
    want.set(`${name}.exp_avg_sq`, p.shape);
  }
  for (const [name, shape] of want) {
    const got = header.tensors.get(name);
    if (!got) throw fault(dir, file, `has no tensor ${name}`);
    if (got.dtype !== 'F32') throw fault(dir, file, `${name} is ${got.dtype}, not F32`);
    if (got.shape.join() !== shape.join())
      throw fault(dir, file, `${name} has shape ${fmt(got.shape)}, its parameter ${fmt(shape)}`);
  }
  for (const name of header.tensors.keys())
    if (!want.has(name)) throw fault(dir, file, `holds ${name}, which belongs to no parameter`);
  const step = header.metadata.step;
  if (step === undefined || !/^\d{1,15}$/.test(step))
    throw fault(dir, file, `metadata step must be a whole number of steps, got ${JSON.stringify(step)}`);
  return Number(step);
}

/** Tensors of a checked file by name (every one a float Tensor: the headers were checked). */
function floats(bytes: Uint8Array, source: string): Map<string, Tensor> {
  return parseSafetensors(bytes, source).tensors as Map<string, Tensor>;
}

export interface LoadOptions {
  /** Check every file against checkpoint.json (default); false loads a folder without one (--no-verify). */
  verify?: boolean;
}

/**
 * Loads a checkpoint folder, checking it whole before building anything from it. A save killed between
 * its two renames is recovered first (the previous checkpoint is put back).
 */
export function loadCheckpoint(dir: string, options: LoadOptions = {}): Checkpoint {
  if (recoverDirAtomic(dir))
    console.error(`checkpoint ${dir}: restored the previous checkpoint (a save was interrupted)`);
  if (!existsSync(dir)) throw new Error(`checkpoint ${dir} does not exist`);
  const files = readCheckpointFiles(dir, options.verify ?? true);
  const bytes = (name: string) => files.get(name) as Buffer;

  const config = parseConfig(
    parseJson(dir, 'config.json', bytes('config.json')),
    `checkpoint ${dir}: config.json`,
  );
  let tokenizer: Tokenizer;
  try {
    tokenizer = tokenizerFromJSON(parseJson(dir, 'tokenizer.json', bytes('tokenizer.json')));
  } catch (e) {
    throw fault(dir, 'tokenizer.json', (e as Error).message);
  }
  if (tokenizer.vocabSize > config.vocabSize) {
    throw fault(
      dir,
      'tokenizer.json',
      `has ${tokenizer.vocabSize} tokens but config.json's model only ${config.vocabSize} (vocabSize)`,
    );
  }
  let tokenizerConfig: TokenizerConfig | null = null;
  if (files.has('tokenizer_config.json')) {
    const raw = parseJson(dir, 'tokenizer_config.json', bytes('tokenizer_config.json'));
    tokenizerConfig = parseTokenizerConfig(raw, `checkpoint ${dir}: tokenizer_config.json`);
  }
  const weightsPath = join(dir, 'model.safetensors');
  checkWeights(dir, config, safetensorsHeader(bytes('model.safetensors'), weightsPath).tensors);
  const model = new LanguageModel(config);
  model.loadStateDict(floats(bytes('model.safetensors'), weightsPath));
  const bad = nonFiniteParameter(model);
  if (bad) throw fault(dir, 'model.safetensors', `${bad} holds NaN or infinite values`);

  let optimizer: OptimizerSnapshot | null = null;
  if (files.has('optimizer.safetensors')) {
    const path = join(dir, 'optimizer.safetensors');
    const step = checkOptimizer(dir, model, safetensorsHeader(bytes('optimizer.safetensors'), path));
    const tensors = floats(bytes('optimizer.safetensors'), path);
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const [name] of model.namedParameters()) {
      const m = (tensors.get(`${name}.exp_avg`) as Tensor).data;
      const v = (tensors.get(`${name}.exp_avg_sq`) as Tensor).data;
      if (!m.every(Number.isFinite) || !v.every((x) => Number.isFinite(x) && x >= 0))
        throw fault(
          dir,
          'optimizer.safetensors',
          `the moments of ${name} hold NaN, infinite or negative values`,
        );
      moments.set(name, { m, v });
    }
    optimizer = { step, moments };
  }
  const trainer = files.has('trainer.json') ? parseJson(dir, 'trainer.json', bytes('trainer.json')) : null;
  return { config, model, tokenizer, tokenizerConfig, optimizer, trainer };
}

/** Puts saved AdamW moments back onto a model's parameters (loadCheckpoint checked their shapes). */
export function restoreOptimizer(optimizer: AdamW, model: LanguageModel, snapshot: OptimizerSnapshot): void {
  optimizer.stepCount = snapshot.step;
  for (const [name, p] of model.namedParameters()) {
    const s = snapshot.moments.get(name);
    if (!s || s.m.length !== p.numel() || s.v.length !== p.numel())
      throw new Error(`restoreOptimizer: the snapshot has no moments of ${name}'s size`);
    optimizer.state.set(p, { m: s.m, v: s.v });
  }
}
