// What a model file format carries in and out: the model, its tokenizer and tokenizer_config.json.
import type { LanguageModel } from '../model/index.js';
import type { Tokenizer, TokenizerConfig } from '../tokenizer/index.js';

export interface ModelParts {
  model: LanguageModel;
  tokenizer: Tokenizer;
  /** tokenizer_config.json (chat template, bos and eos), or null/absent when there is none. */
  tokenizerConfig?: TokenizerConfig | null;
}

/** What an import gives: every part, tokenizerConfig null when the source has none. */
export type ImportedModel = Required<ModelParts>;
