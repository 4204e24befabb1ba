// The model formats jielong converts to and from, one entry each: `jielong export` and `jielong import`
// read this table, so a format is added by adding its entry.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exportGGUF, GGUF_DTYPES, type GGUFDtype, importGGUF, isGGUF } from './gguf/index.js';
import { exportHF, importHF } from './hf/index.js';
import type { ImportedModel, ModelParts } from './model-parts.js';

export interface ModelFormat {
  /** What the user types after --format. */
  name: string;
  summary: string;
  /** The number types its export writes, the default first (--dtype). */
  dtypes: readonly string[];
  export(parts: ModelParts, path: string, dtype: string): void;
  import(path: string): ImportedModel;
  /** Whether `path` looks like this format (import without --format); cheap, and never throws. */
  detect(path: string): boolean;
}

/** A folder whose config.json is Hugging Face's (it names a model_type), not a jielong checkpoint's. */
function isHFFolder(path: string): boolean {
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) return false;
  const config = join(path, 'config.json');
  const stat = statSync(config, { throwIfNoEntry: false });
  if (!stat?.isFile() || stat.size > 2 ** 20) return false;
  try {
    const json = JSON.parse(readFileSync(config, 'utf8'));
    return typeof json?.model_type === 'string';
  } catch {
    return false;
  }
}

export const FORMATS: readonly ModelFormat[] = [
  {
    name: 'hf',
    summary: 'Hugging Face folder (GPT2LMHeadModel; LlamaForCausalLM, and Mistral and Qwen2 on import)',
    dtypes: ['f32'],
    export: (parts, dir) => exportHF(parts, dir),
    import: importHF,
    detect: isHFFolder,
  },
  {
    name: 'gguf',
    summary:
      "llama.cpp's file (architectures llama and gpt2; F32, F16, Q8_0 out; F32, F16, Q8_0, Q4_0, Q4_K in)",
    dtypes: GGUF_DTYPES,
    export: (parts, path, dtype) => exportGGUF(parts, path, { dtype: dtype as GGUFDtype }),
    import: (path) => importGGUF(path),
    detect: isGGUF,
  },
];

export function formatNamed(name: string): ModelFormat {
  const format = FORMATS.find((f) => f.name === name);
  if (!format)
    throw new Error(`unknown format "${name}" (formats: ${FORMATS.map((f) => f.name).join(', ')})`);
  return format;
}

/** The format `path` is in, found by each format's detect. */
export function detectFormat(path: string): ModelFormat {
  const format = FORMATS.find((f) => f.detect(path));
  if (!format)
    throw new Error(
      `${path} is in no format jielong imports (${FORMATS.map((f) => `${f.name}: ${f.summary}`).join('; ')})`,
    );
  return format;
}
