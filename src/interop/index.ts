// Models in other formats: Hugging Face folders, behind a table of formats the CLI reads.
export { detectFormat, FORMATS, formatNamed, type ModelFormat } from './formats.js';
export * as hf from './hf/index.js';
export type { ImportedModel, ModelParts } from './model-parts.js';
