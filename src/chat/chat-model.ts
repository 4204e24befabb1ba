// Turning a base model into one that can chat: its tokenizer gains the template's special tokens (new ids
// after the last), its embedding grows to match, and tokenizer_config.json carries the template. A model
// that already has a chat template (imported from Hugging Face, or fine-tuned before) keeps its own.
import { type LanguageModel, resizeTokenEmbeddings } from '../model/index.js';
import { type Tokenizer, type TokenizerConfig, withSpecialTokens } from '../tokenizer/index.js';
import { CHATML_SPECIAL_TOKENS, ChatTemplate, chatmlTokenizerConfig } from './template.js';

export interface ChatModel {
  model: LanguageModel;
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig;
  template: ChatTemplate;
}

export function asChatModel(parts: {
  model: LanguageModel;
  tokenizer: Tokenizer;
  tokenizerConfig?: TokenizerConfig | null;
}): ChatModel {
  const own = ChatTemplate.fromConfig(parts.tokenizerConfig ?? null);
  if (own && parts.tokenizerConfig)
    return { ...parts, tokenizerConfig: parts.tokenizerConfig, template: own };
  const tokenizerConfig = { ...parts.tokenizerConfig, ...chatmlTokenizerConfig() };
  const tokenizer = withSpecialTokens(parts.tokenizer, CHATML_SPECIAL_TOKENS);
  const model = resizeTokenEmbeddings(
    parts.model,
    Math.max(parts.model.config.vocabSize, tokenizer.vocabSize),
  );
  return { model, tokenizer, tokenizerConfig, template: ChatTemplate.fromConfig(tokenizerConfig)! };
}

/** The chat template of a loaded checkpoint; an error says how to make a chat model when it has none. */
export function chatTemplateFor(
  tokenizerConfig: TokenizerConfig | null | undefined,
  what: string,
): ChatTemplate {
  const template = ChatTemplate.fromConfig(tokenizerConfig ?? null);
  if (!template) {
    throw new Error(
      `${what} has no chat template (tokenizer_config.json): fine-tune it into a chat model first (jielong train --sft world --init-from ${what})`,
    );
  }
  return template;
}
