// The parts of Hugging Face's tokenizer.json that jielong writes, as types, and builders for the pieces
// both tokenizer kinds share. Field names are Hugging Face's (snake_case) so the file loads there as is.

export interface AddedTokenJSON {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface ByteLevelJSON {
  type: 'ByteLevel';
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}

export interface BPEModelJSON {
  type: 'BPE';
  dropout: null;
  unk_token: string | null;
  continuing_subword_prefix: null;
  end_of_word_suffix: null;
  fuse_unk: boolean;
  byte_fallback: boolean;
  ignore_merges: boolean;
  vocab: Record<string, number>;
  /** "left right" strings: readable by every tokenizers version (byte-level tokens hold no spaces). */
  merges: string[];
}

/** A normalizer, pre-tokenizer, post-processor or decoder: its type and Hugging Face's fields for it. */
export interface ComponentJSON {
  type: string;
  [field: string]: unknown;
}

export interface TokenizerJSON {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJSON[];
  normalizer: ComponentJSON | null;
  pre_tokenizer: ComponentJSON | null;
  post_processor: ComponentJSON | null;
  decoder: ComponentJSON;
  model: BPEModelJSON;
}

/** GPT-2's ByteLevel settings: no prefix space, the GPT-2 split regex on. */
export const BYTE_LEVEL_JSON: ByteLevelJSON = {
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: true,
};

export function addedTokensJSON(specialTokens: ReadonlyMap<string, number>): AddedTokenJSON[] {
  return [...specialTokens]
    .sort((a, b) => a[1] - b[1])
    .map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
}

/** A BPE model section; the vocab lists ordinary and special tokens, as Hugging Face's trainers write it. */
export function bpeModelJSON(
  tokens: readonly string[],
  merges: readonly (readonly [string, string])[],
  unkToken: string | null,
  ignoreMerges = false,
): BPEModelJSON {
  return {
    type: 'BPE',
    dropout: null,
    unk_token: unkToken,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: ignoreMerges,
    // fromEntries defines own properties, so a token named "__proto__" stays a token.
    vocab: Object.fromEntries(tokens.map((t, id) => [t, id])),
    merges: merges.map(([a, b]) => `${a} ${b}`),
  };
}

/** A whole tokenizer.json around a BPE model: the shape both of jielong's tokenizers save in. */
export function bpeTokenizerJSON(
  tokenizer: {
    readonly vocabSize: number;
    readonly specialTokens: ReadonlyMap<string, number>;
    idToToken(id: number): string;
  },
  parts: {
    merges: readonly (readonly [string, string])[];
    unkToken: string | null;
    preTokenizer: ComponentJSON | null;
    decoder: TokenizerJSON['decoder'];
    normalizer?: ComponentJSON | null;
    postProcessor?: ComponentJSON | null;
    ignoreMerges?: boolean;
  },
): TokenizerJSON {
  const tokens = Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.idToToken(id));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokensJSON(tokenizer.specialTokens),
    normalizer: parts.normalizer ?? null,
    pre_tokenizer: parts.preTokenizer,
    post_processor: parts.postProcessor ?? null,
    decoder: parts.decoder,
    model: bpeModelJSON(tokens, parts.merges, parts.unkToken, parts.ignoreMerges),
  };
}
