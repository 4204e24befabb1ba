// jielong model + tokenizer -> one GGUF file that llama.cpp runs. Matrices are written in the chosen
// type; norm weights, biases and every other 1-D tensor stay F32, as llama.cpp's own converter keeps them
// (they are tiny, and rounding a norm's gain moves every value it scales). Q8_0 needs rows of whole
// 32-value blocks: a matrix whose rows are not falls back to F16, as llama.cpp's quantiser falls back.
import {
  GGML_TYPES,
  type GGMLType,
  type GGUFTensorOut,
  type GGUFValue,
  gguf,
  writeGGUF,
} from '../../io/index.js';
import type { LanguageModel } from '../../model/index.js';
import type { Tokenizer, TokenizerConfig } from '../../tokenizer/index.js';
import { archMetadata, archOf } from './arch.js';
import { permuteRotary, qkvNames, renames, splitQKV } from './tensors.js';
import { tokenizerMetadata } from './tokenizer.js';

/** The number types export writes, the default first. */
export const GGUF_DTYPES = ['f32', 'f16', 'q8_0'] as const;
export type GGUFDtype = (typeof GGUF_DTYPES)[number];

/** llama.cpp's llama_ftype for each: what `general.file_type` says the file mostly holds. */
const FILE_TYPE: Record<GGUFDtype, number> = { f32: 0, f16: 1, q8_0: 7 };
const MATRIX_TYPE: Record<GGUFDtype, GGMLType> = {
  f32: GGML_TYPES.F32,
  f16: GGML_TYPES.F16,
  q8_0: GGML_TYPES.Q8_0,
};

export interface GGUFExportParts {
  model: LanguageModel;
  tokenizer: Tokenizer;
  tokenizerConfig?: TokenizerConfig | null;
  /** general.name (default "jielong"). */
  name?: string;
}

export interface GGUFExportOptions {
  dtype?: GGUFDtype;
}

function typeFor(shape: readonly number[], dtype: GGUFDtype): GGMLType {
  if (shape.length < 2) return GGML_TYPES.F32;
  const type = MATRIX_TYPE[dtype];
  return shape[shape.length - 1] % type.blockValues === 0 ? type : GGML_TYPES.F16;
}

/** Every parameter under its GGUF name, llama's fused attention split and its q and k rows permuted. */
function tensorsOf(model: LanguageModel, dtype: GGUFDtype): GGUFTensorOut[] {
  const c = model.config;
  const arch = archOf(c);
  const names = renames(arch, c.nLayer);
  const out: GGUFTensorOut[] = [];
  const add = (name: string, shape: readonly number[], values: Float32Array) =>
    out.push({ name, shape, values, type: typeFor(shape, dtype) });
  for (const [name, p] of model.namedParameters()) {
    const renamed = names.get(name);
    if (renamed) {
      add(renamed, p.shape, p.data);
      continue;
    }
    const layer = Number(/^transformer\.h\.(\d+)\.attn\.c_attn\.weight$/.exec(name)?.[1]);
    if (arch !== 'llama' || !Number.isInteger(layer))
      throw new Error(`GGUF export: parameter ${name} has no GGUF tensor`);
    const [q, k, v] = splitQKV(p);
    const t = qkvNames(layer);
    const shape = [c.nEmbd, c.nEmbd];
    add(t.q, shape, permuteRotary(q, c.nHead, c.nEmbd, true));
    add(t.k, shape, permuteRotary(k, c.nHead, c.nEmbd, true));
    add(t.v, shape, v);
  }
  return out;
}

/** The GGUF metadata and tensors of a model, without writing them (exportGGUF writes them). */
export function ggufOf(
  parts: GGUFExportParts,
  options: GGUFExportOptions = {},
): { metadata: Map<string, GGUFValue>; tensors: GGUFTensorOut[] } {
  const dtype = options.dtype ?? 'f32';
  if (!(dtype in FILE_TYPE))
    throw new Error(`GGUF export: dtype ${JSON.stringify(dtype)} is not one of f32, f16, q8_0`);
  const c = parts.model.config;
  const arch = archOf(c);
  const metadata = new Map<string, GGUFValue>([
    ['general.architecture', gguf.string(arch)],
    ['general.name', gguf.string(parts.name ?? 'jielong')],
    ['general.file_type', gguf.u32(FILE_TYPE[dtype])],
    ...(dtype === 'q8_0' ? [['general.quantization_version', gguf.u32(2)] as [string, GGUFValue]] : []),
    ...archMetadata(arch, c),
    ...tokenizerMetadata(parts.tokenizer, parts.tokenizerConfig ?? null, c.vocabSize),
  ]);
  return { metadata, tensors: tensorsOf(parts.model, dtype) };
}

/** Writes `parts` as a GGUF file at `path` (atomically) that llama.cpp and importGGUF read. */
export function exportGGUF(parts: GGUFExportParts, path: string, options: GGUFExportOptions = {}): void {
  const { metadata, tensors } = ggufOf(parts, options);
  writeGGUF(path, metadata, tensors);
}
