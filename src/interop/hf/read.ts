// Reading a Hugging Face model folder written by anyone (transformers' save_pretrained, the Hub, jielong):
// config.json, the weights (model.safetensors, or shards listed by model.safetensors.index.json),
// tokenizer.json and tokenizer_config.json. Everything is checked before a tensor is read: the config's
// sizes against CONFIG_LIMITS, the tokenizer, every header in full, every expected tensor's name, type and
// shape.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, loadSafetensorsHeader, type TensorInfo } from '../../io/index.js';
import { LanguageModel, parameterShapes } from '../../model/index.js';
import type { Tensor } from '../../tensor/index.js';
import { parseTokenizerConfig, type TokenizerConfig, tokenizerFromJSON } from '../../tokenizer/index.js';
import type { ImportedModel } from '../model-parts.js';
import { type HFModel, readHFConfig } from './config.js';
import { fromHF, hfShapes, type Mapping, mappingOf } from './weights.js';

/** Far above any real config or tokenizer file (Llama 3's tokenizer.json is 9 MB). */
const MAX_JSON_BYTES = 256 * 2 ** 20;
const FLOATS = ['F32', 'F16', 'BF16', 'F64'];

/** Buffers some writers save beside the parameters; transformers ignores them on load, and so does jielong. */
const BUFFERS = /(^|\.)(attn\.bias|attn\.masked_bias|rotary_emb\.inv_freq)$/;

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

class Folder {
  constructor(readonly dir: string) {}

  error(file: string, message: string): Error {
    return new Error(`Hugging Face folder ${this.dir}: ${file} ${message}`);
  }

  /** A JSON file, size-checked before it is read; undefined when absent and not required. */
  json(file: string, required: boolean): unknown {
    const path = join(this.dir, file);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat?.isFile()) {
      if (required) throw this.error(file, 'is missing');
      return undefined;
    }
    if (stat.size > MAX_JSON_BYTES)
      throw this.error(file, `is ${stat.size} bytes, more than the ${MAX_JSON_BYTES}-byte limit`);
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw this.error(file, `is not valid JSON (${(e as Error).message})`);
    }
  }
}

/** Every tensor of the weight files by name, with the file that holds it. */
type Headers = Map<string, TensorInfo & { file: string }>;

/** The safetensors files: model.safetensors, or the shards model.safetensors.index.json lists. */
function weightFiles(folder: Folder): { files: string[]; index: Map<string, string> | null } {
  if (existsSync(join(folder.dir, 'model.safetensors'))) return { files: ['model.safetensors'], index: null };
  const indexFile = 'model.safetensors.index.json';
  const raw = folder.json(indexFile, false);
  if (raw === undefined)
    throw folder.error(
      'model.safetensors',
      `is missing, and so is ${indexFile} (jielong reads safetensors, not pytorch_model.bin)`,
    );
  const map = (raw as { weight_map?: unknown })?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw folder.error(indexFile, 'has no weight_map object of tensor name: file');
  const index = new Map<string, string>();
  for (const [name, file] of Object.entries(map)) {
    // Shards are plain names in the folder: a path elsewhere is refused, not followed.
    if (typeof file !== 'string' || !/^[\w.-]+\.safetensors$/.test(file) || file.startsWith('.'))
      throw folder.error(indexFile, `maps ${name} to ${JSON.stringify(file)}, not a .safetensors file name`);
    index.set(name, file);
  }
  return { files: [...new Set(index.values())].sort(), index };
}

/** Every header, checked in full; `source` is the file that says which tensors exist. */
function readHeaders(folder: Folder): { headers: Headers; source: string } {
  const { files, index } = weightFiles(folder);
  const headers: Headers = new Map();
  for (const file of files) {
    const path = join(folder.dir, file);
    if (!existsSync(path)) throw folder.error(file, 'is missing (model.safetensors.index.json lists it)');
    for (const [name, info] of loadSafetensorsHeader(path).tensors) {
      const had = headers.get(name);
      if (had) throw folder.error(file, `holds ${name}, which ${had.file} holds too`);
      headers.set(name, { ...info, file });
    }
  }
  for (const [name, file] of index ?? []) {
    if (headers.get(name)?.file !== file)
      throw folder.error(file, `has no tensor ${name}, which model.safetensors.index.json puts there`);
  }
  return { headers, source: index ? 'model.safetensors.index.json' : 'model.safetensors' };
}

/**
 * Every tensor of a Hugging Face folder's weights (model.safetensors, or the shards its index lists) with
 * the file that holds it, each header checked in full and against the index; no tensor is read.
 */
export function hfWeightHeaders(dir: string): Map<string, TensorInfo & { file: string }> {
  return readHeaders(new Folder(dir)).headers;
}

/** GPT-2 files from the Hub name tensors without the `transformer.` prefix that save_pretrained writes. */
function canonicalName(name: string, hf: HFModel): string {
  if (hf.family !== 'gpt2' || name.startsWith('transformer.') || name.startsWith('lm_head.')) return name;
  return `transformer.${name}`;
}

/** How each jielong parameter comes from the file's tensors. */
type Plan = { name: string; shape: number[]; mapping: Mapping }[];

/**
 * Every tensor the config implies, by name, type and shape (the shapes from a shape-only model, nothing
 * allocated), against the headers; a tensor the config has no place for is an error too.
 */
function planWeights(folder: Folder, hf: HFModel): { plan: Plan; headers: Headers; wanted: Set<string> } {
  const { config } = hf;
  const { headers: raw, source } = readHeaders(folder);
  const headers: Headers = new Map();
  for (const [name, info] of raw) {
    const canonical = canonicalName(name, hf);
    if (headers.has(canonical))
      throw folder.error(info.file, `holds ${canonical} twice (with and without its prefix)`);
    headers.set(canonical, info);
  }
  const kvRows = hf.kvHeads * (config.nEmbd / config.nHead);
  const plan = [...parameterShapes(config)].map(([name, shape]) => ({
    name,
    shape,
    mapping: mappingOf(name, hf.family, hf.biases),
  }));
  const wanted = new Set<string>();
  for (const { mapping, shape } of plan) {
    const names = mapping.kind === 'zero' ? [] : mapping.kind === 'qkv' ? mapping.hf : [mapping.hf];
    const shapes = hfShapes(mapping, shape, kvRows);
    names.forEach((name, i) => {
      const got = headers.get(name);
      if (!got)
        throw folder.error(
          source,
          `has no tensor ${name}, which config.json implies (shape ${fmt(shapes[i])})`,
        );
      if (!FLOATS.includes(got.dtype))
        throw folder.error(got.file, `${name} is ${got.dtype}, not a float tensor`);
      if (got.shape.join() !== shapes[i].join())
        throw folder.error(
          got.file,
          `${name} has shape ${fmt(got.shape)} but config.json implies ${fmt(shapes[i])}`,
        );
      wanted.add(name);
    });
  }
  for (const [name, info] of headers) {
    if (wanted.has(name) || BUFFERS.test(name)) continue;
    // A tied model's head is the embedding: transformers re-ties it on load, whatever the file holds.
    if (name === 'lm_head.weight' && config.tieEmbeddings) continue;
    throw folder.error(info.file, `holds ${name}, which a ${hf.family} config.json has no parameter for`);
  }
  return { plan, headers, wanted };
}

/**
 * Reads a Hugging Face folder (GPT2LMHeadModel, LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM;
 * F32, F16, BF16 or F64 weights, one file or shards) into a jielong model, its tokenizer and
 * tokenizer_config. Grouped-query attention becomes multi-head attention computing the same (weights.ts).
 */
export function importHF(dir: string): ImportedModel {
  const folder = new Folder(dir);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`Hugging Face folder ${dir} does not exist`);
  const hf = readHFConfig(folder.json('config.json', true), `Hugging Face folder ${dir}: config.json`);
  const { config } = hf;
  const tokenizerParts = readTokenizer(folder, config.vocabSize);
  const { plan, headers, wanted } = planWeights(folder, hf);

  // Each file is read once, only the tensors wanted from it.
  const tensors = new Map<string, Tensor>();
  for (const file of new Set([...wanted].map((n) => headers.get(n)?.file as string))) {
    const loaded = loadSafetensors(join(dir, file), (name) => wanted.has(canonicalName(name, hf)));
    for (const [name, t] of loaded.tensors) {
      if (!t.data.every(Number.isFinite)) throw folder.error(file, `${name} holds NaN or infinite values`);
      tensors.set(canonicalName(name, hf), t as Tensor);
    }
  }
  const heads = { heads: config.nHead, kvHeads: hf.kvHeads };
  const model = new LanguageModel(config);
  model.loadStateDict(
    new Map(
      plan.map(({ name, shape, mapping }) => [
        name,
        fromHF(mapping, shape, (n) => tensors.get(n) as Tensor, heads),
      ]),
    ),
  );
  return { model, ...tokenizerParts };
}

function readTokenizer(folder: Folder, vocabSize: number): Omit<ImportedModel, 'model'> {
  const raw = folder.json('tokenizer.json', true);
  let tokenizer: ImportedModel['tokenizer'];
  try {
    tokenizer = tokenizerFromJSON(raw);
  } catch (e) {
    throw folder.error('tokenizer.json', (e as Error).message.replace(/^tokenizer\.json: /, ''));
  }
  if (tokenizer.vocabSize > vocabSize)
    throw folder.error(
      'tokenizer.json',
      `has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${vocabSize}`,
    );
  const rawConfig = folder.json('tokenizer_config.json', false);
  const tokenizerConfig: TokenizerConfig | null =
    rawConfig === undefined
      ? null
      : parseTokenizerConfig(rawConfig, `Hugging Face folder ${folder.dir}: tokenizer_config.json`);
  return { tokenizer, tokenizerConfig };
}
