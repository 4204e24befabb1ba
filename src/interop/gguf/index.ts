// GGUF, llama.cpp's model file: jielong models out (exportGGUF) and in (importGGUF), for llama.cpp's
// "llama" and "gpt2" architectures, with the tokenizer in the file's metadata.
export { isGGUF } from '../../io/index.js';
export { archOf, type GGUFArch } from './arch.js';
export {
  exportGGUF,
  GGUF_DTYPES,
  type GGUFDtype,
  type GGUFExportOptions,
  type GGUFExportParts,
  ggufOf,
} from './export.js';
export { type GGUFImport, type GGUFImportOptions, importGGUF } from './import.js';
