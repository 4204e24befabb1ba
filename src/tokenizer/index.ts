// The tokenizer layer's public face: byte-level BPE, SentencePiece-style BPE and character tokenizers,
// streaming decode, and Hugging Face tokenizer.json in and out.
export { withSpecialTokens } from './add-tokens.js';
export { type BPETrainOptions, ByteLevelBPE, type MergePair } from './bpe.js';
export { type LearnedMerges, type LearnMergesOptions, learnMerges } from './bpe-train.js';
export {
  BYTE_TO_UNICODE,
  byteLevelToBytes,
  bytesToByteLevel,
  GPT2_SPLIT_PATTERN,
  pretokenize,
} from './byte-level.js';
export { type CharFromTextOptions, CharTokenizer, type CharTokenizerOptions } from './char.js';
export { tokenizerFromJSON } from './hf-json.js';
export { byteLevelPreTokenizer, GPT2_PRE_TOKENIZER, type PreTokenizer } from './hf-pre-tokenizer.js';
export type {
  AddedTokenJSON,
  BPEModelJSON,
  ByteLevelJSON,
  ComponentJSON,
  TokenizerJSON,
} from './hf-schema.js';
export { loadTokenizer, saveTokenizer } from './io.js';
export { tokenPiece } from './piece.js';
export {
  type FromScoresOptions,
  type PairRule,
  type PrependScheme,
  SentencePieceBPE,
  type SentencePieceOptions,
  type SpaceHandling,
  TOKEN_TYPE,
} from './sentencepiece.js';
export { StreamDecoder, type StreamDecoderOptions } from './stream.js';
export type { EncodeOptions, Tokenizer, TokenizerKind } from './tokenizer.js';
export {
  chatTemplateOf,
  parseTokenizerConfig,
  TOKENIZER_CONFIG_SCHEMA,
  type TokenizerConfig,
  tokenString,
} from './tokenizer-config.js';
