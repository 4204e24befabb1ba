// Adding special tokens to a trained tokenizer (a chat template's <|im_start|>, <|im_end|>) without
// changing any existing id, as Hugging Face's add_special_tokens does: new ids go after the last one.
import { tokenizerFromJSON } from './hf-json.js';
import { addedTokensJSON } from './hf-schema.js';
import type { Tokenizer } from './tokenizer.js';

/** The tokenizer with `tokens` as special tokens; those it has already keep their ids. */
export function withSpecialTokens(tokenizer: Tokenizer, tokens: readonly string[]): Tokenizer {
  const missing = tokens.filter((t) => !tokenizer.specialTokens.has(t));
  if (missing.length === 0) return tokenizer;
  const json = structuredClone(tokenizer.toJSON());
  missing.forEach((content, i) => {
    const id = tokenizer.vocabSize + i;
    if (tokenizer.tokenToId(content) !== undefined)
      throw new Error(`withSpecialTokens: ${JSON.stringify(content)} is already an ordinary token`);
    json.added_tokens.push(...addedTokensJSON(new Map([[content, id]])));
    json.model.vocab[content] = id;
  });
  return tokenizerFromJSON(json);
}
