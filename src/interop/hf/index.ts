// Hugging Face model folders in and out: GPT-2 and the Llama family, as transformers reads and writes them.
export {
  exportFamily,
  HF_ARCHITECTURES,
  type HFBiases,
  type HFFamily,
  type HFModel,
  hfConfigJson,
  readHFConfig,
} from './config.js';
export { hfWeightHeaders, importHF } from './read.js';
export { exportHF, hfStateDict } from './write.js';
