// A prompt as the model expects to start reading: the text's ids after the tokenizer's BOS when the
// model was trained with one (Llama's <s>; Hugging Face's add_special_tokens for a text prompt). Never an
// EOS: the model is to go on from the prompt. jielong's own tokenizers have no BOS, so their prompts are
// the text's ids.
import type { Tokenizer } from '../tokenizer/index.js';

export function promptIds(tokenizer: Tokenizer, text: string): number[] {
  const ids = tokenizer.encode(text);
  return tokenizer.addBos && tokenizer.bosId !== null ? [tokenizer.bosId, ...ids] : ids;
}
