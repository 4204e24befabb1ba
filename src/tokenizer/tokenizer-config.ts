// tokenizer_config.json, Hugging Face's file beside tokenizer.json: the chat template (a Jinja string) and
// which special tokens begin and end a sequence. jielong keeps the same file in its checkpoints, so a chat
// model's template travels with its tokenizer, and HF folders move in and out without a translation.
import { z } from 'zod';

// HF writes a special token either as its string or as an AddedToken object with the string in `content`.
const tokenName = z.union([z.string(), z.looseObject({ content: z.string() })]).nullable();

/** The keys jielong reads; any others (HF writes many) are kept as they are, so a round trip loses nothing. */
export const TOKENIZER_CONFIG_SCHEMA = z.looseObject({
  chat_template: z
    .union([z.string(), z.array(z.looseObject({ name: z.string(), template: z.string() }))])
    .optional(),
  bos_token: tokenName.optional(),
  eos_token: tokenName.optional(),
  pad_token: tokenName.optional(),
  unk_token: tokenName.optional(),
  add_bos_token: z.boolean().optional(),
  add_eos_token: z.boolean().optional(),
  model_max_length: z.number().optional(),
});

export type TokenizerConfig = z.infer<typeof TOKENIZER_CONFIG_SCHEMA>;

/** Checks a parsed tokenizer_config.json; errors name `source` and the field. */
export function parseTokenizerConfig(raw: unknown, source: string): TokenizerConfig {
  const parsed = TOKENIZER_CONFIG_SCHEMA.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${source}: ${issue.path.join('.') || 'the file'} ${issue.message}`);
  }
  return parsed.data;
}

/** A special token's string, whichever way the file spells it. */
export function tokenString(t: TokenizerConfig['bos_token']): string | null {
  if (t === undefined || t === null) return null;
  return typeof t === 'string' ? t : t.content;
}

/** The default chat template, or the one named `name` when the file holds several. */
export function chatTemplateOf(config: TokenizerConfig, name = 'default'): string | null {
  const t = config.chat_template;
  if (t === undefined) return null;
  if (typeof t === 'string') return name === 'default' ? t : null;
  return t.find((x) => x.name === name)?.template ?? null;
}
