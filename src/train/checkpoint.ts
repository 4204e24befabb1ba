// A checkpoint is a folder, written atomically (a reader never sees half of one):
//   model.safetensors      parameters by Hugging Face GPT-2 names
//   config.json            the model config (plain JSON)
//   tokenizer.json         the tokenizer (Hugging Face format)
//   optimizer.safetensors  AdamW moments, `<param>.exp_avg` and `<param>.exp_avg_sq` (training only)
//   trainer.json           where training stands: iteration, random states, options (training only)
//   checkpoint.json        manifest: every file's size and SHA-256, so corruption is found before loading
// A folder without a manifest (config.json + model.safetensors + tokenizer.json, e.g. made by hand) loads
// too, without the checksum test.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadSafetensors, parseSafetensors, serializeSafetensors, writeDirAtomic } from '../io/index.js';
import { LanguageModel, type ModelConfig, migrateConfig, validateConfig } from '../model/index.js';
import { Tensor } from '../tensor/index.js';
import { type Tokenizer, tokenizerFromJSON } from '../tokenizer/index.js';
import type { AdamW } from './optim.js';

const FORMAT = 'jielong-checkpoint';
const VERSION = 1;

export interface OptimizerSnapshot {
  step: number;
  moments: Map<string, { m: Float32Array; v: Float32Array }>;
}

export interface Checkpoint {
  config: ModelConfig;
  model: LanguageModel;
  tokenizer: Tokenizer;
  optimizer: OptimizerSnapshot | null;
  /** Whatever the trainer saved (see trainer.ts), or null for a model-only checkpoint. */
  trainer: unknown;
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export function saveCheckpoint(
  dir: string,
  parts: {
    model: LanguageModel;
    tokenizer: Tokenizer;
    optimizer?: AdamW;
    trainer?: unknown;
    /** Files that live in the folder but change between saves (metrics.jsonl): kept, not checksummed. */
    unlisted?: Record<string, string | Uint8Array>;
  },
): void {
  const { model, tokenizer, optimizer, trainer } = parts;
  const files: Record<string, string | Uint8Array> = {
    'model.safetensors': serializeSafetensors(model.stateDict(), { format: 'pt' }),
    'config.json': json(model.config),
    'tokenizer.json': json(tokenizer.toJSON()),
  };
  if (optimizer) {
    const moments = new Map<string, Tensor>();
    for (const [name, p] of model.namedParameters()) {
      const s = optimizer.state.get(p);
      if (!s) continue;
      moments.set(`${name}.exp_avg`, new Tensor(s.m, p.shape));
      moments.set(`${name}.exp_avg_sq`, new Tensor(s.v, p.shape));
    }
    files['optimizer.safetensors'] = serializeSafetensors(moments, { step: String(optimizer.stepCount) });
  }
  if (trainer !== undefined) files['trainer.json'] = json(trainer);
  const manifest = Object.fromEntries(
    Object.entries(files).map(([name, data]) => [
      name,
      { bytes: Buffer.byteLength(data), sha256: sha256(data) },
    ]),
  );
  files['checkpoint.json'] = json({ format: FORMAT, version: VERSION, files: manifest });
  mkdirSync(dirname(dir), { recursive: true });
  writeDirAtomic(dir, { ...parts.unlisted, ...files });
}

function readFile(dir: string, name: string): Buffer {
  const path = join(dir, name);
  if (!existsSync(path)) throw new Error(`checkpoint ${dir}: ${name} is missing`);
  return readFileSync(path);
}

function parseJson(dir: string, name: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new Error(`checkpoint ${dir}: ${name} is not valid JSON (${(e as Error).message})`);
  }
}

/** Checks every file against the manifest; returns the verified bytes by name. */
function verified(dir: string): Map<string, Buffer> | null {
  if (!existsSync(join(dir, 'checkpoint.json'))) return null;
  const manifest = parseJson(dir, 'checkpoint.json', readFile(dir, 'checkpoint.json')) as {
    format?: string;
    version?: number;
    files?: Record<string, { bytes: number; sha256: string }>;
  };
  if (manifest.format !== FORMAT || manifest.version !== VERSION || !manifest.files) {
    throw new Error(`checkpoint ${dir}: checkpoint.json is not a ${FORMAT} v${VERSION} manifest`);
  }
  const out = new Map<string, Buffer>();
  for (const [name, want] of Object.entries(manifest.files)) {
    const bytes = readFile(dir, name);
    if (bytes.length !== want.bytes) {
      throw new Error(
        `checkpoint ${dir}: ${name} has ${bytes.length} bytes, the manifest says ${want.bytes} (truncated or corrupt)`,
      );
    }
    if (sha256(bytes) !== want.sha256)
      throw new Error(`checkpoint ${dir}: ${name} does not match its checksum (corrupt)`);
    out.set(name, bytes);
  }
  return out;
}

/** Loads a checkpoint folder, checking it whole before building anything from it. */
export function loadCheckpoint(dir: string): Checkpoint {
  if (!existsSync(dir)) throw new Error(`checkpoint ${dir} does not exist`);
  const files = verified(dir);
  const bytes = (name: string) => files?.get(name) ?? readFile(dir, name);
  const has = (name: string) => (files ? files.has(name) : existsSync(join(dir, name)));

  let config = parseJson(dir, 'config.json', bytes('config.json')) as ModelConfig;
  try {
    config = migrateConfig(config);
    validateConfig(config);
  } catch (e) {
    throw new Error(`checkpoint ${dir}: config.json: ${(e as Error).message}`);
  }
  const tokenizer = tokenizerFromJSON(parseJson(dir, 'tokenizer.json', bytes('tokenizer.json')) as object);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new Error(
      `checkpoint ${dir}: tokenizer has ${tokenizer.vocabSize} tokens but the model only ${config.vocabSize}`,
    );
  }
  const weights = files
    ? parseSafetensors(bytes('model.safetensors'), join(dir, 'model.safetensors'))
    : loadSafetensors(join(dir, 'model.safetensors'));
  const model = new LanguageModel(config);
  const state = new Map<string, Tensor>();
  for (const [name, t] of weights.tensors) {
    if (!(t instanceof Tensor))
      throw new Error(`checkpoint ${dir}: model.safetensors: ${name} is not a float tensor`);
    state.set(name, t);
  }
  try {
    model.loadStateDict(state);
  } catch (e) {
    throw new Error(`checkpoint ${dir}: model.safetensors does not fit config.json: ${(e as Error).message}`);
  }

  let optimizer: OptimizerSnapshot | null = null;
  if (has('optimizer.safetensors')) {
    const opt = parseSafetensors(bytes('optimizer.safetensors'), join(dir, 'optimizer.safetensors'));
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const [name] of model.namedParameters()) {
      const m = opt.tensors.get(`${name}.exp_avg`);
      const v = opt.tensors.get(`${name}.exp_avg_sq`);
      if (m instanceof Tensor && v instanceof Tensor) moments.set(name, { m: m.data, v: v.data });
    }
    optimizer = { step: Number(opt.metadata.step ?? 0), moments };
  }
  const trainer = has('trainer.json') ? parseJson(dir, 'trainer.json', bytes('trainer.json')) : null;
  return { config, model, tokenizer, optimizer, trainer };
}

/** Puts saved AdamW moments back onto a model's parameters. */
export function restoreOptimizer(optimizer: AdamW, model: LanguageModel, snapshot: OptimizerSnapshot): void {
  optimizer.stepCount = snapshot.step;
  for (const [name, p] of model.namedParameters()) {
    const s = snapshot.moments.get(name);
    if (s) optimizer.state.set(p, { m: s.m, v: s.v });
  }
}
