// Reading Hugging Face tokenizer.json objects. Three shapes are understood: byte-level BPE (GPT-2's file,
// and the Split/Digits-then-ByteLevel pre-tokenizers of Llama 3, Qwen and SmolLM), SentencePiece-style BPE
// (Llama 2, Mistral; see hf-spm.ts) and characters (a BPE model with no merges, no pre-tokenizer, a Fuse
// decoder, as jielong writes). Anything else is refused by name rather than loaded into a tokenizer that
// would encode differently from Hugging Face's.
import { ByteLevelBPE, type MergePair } from './bpe.js';
import { CharTokenizer } from './char.js';
import { fail, isObject, type JsonObject, typeOf } from './hf-fields.js';
import { parsePostProcessor } from './hf-post-processor.js';
import { byteLevelPreTokenizer } from './hf-pre-tokenizer.js';
import { isSentencePieceJSON, sentencePieceFromJSON } from './hf-spm.js';
import type { SentencePieceBPE } from './sentencepiece.js';

/** Builds the tokenizer a tokenizer.json object describes (jielong's own, or one Hugging Face wrote). */
export function tokenizerFromJSON(json: unknown): ByteLevelBPE | CharTokenizer | SentencePieceBPE {
  if (!isObject(json)) fail('expected a JSON object');
  const model = json.model;
  if (!isObject(model)) fail('has no "model" object');
  // Files from before models were tagged have no type; a BPE model is the one with merges.
  const modelType = model.type ?? ('merges' in model ? 'BPE' : undefined);
  if (modelType !== 'BPE') {
    fail(`unsupported model type ${JSON.stringify(modelType)} (jielong reads BPE models)`);
  }
  const sentencePiece = isSentencePieceJSON(json);
  checkModelOptions(model, sentencePiece);
  const vocab = parseVocab(model.vocab);
  const merges = parseMerges(model.merges ?? []);
  const specialTokens = parseAddedTokens(json.added_tokens ?? []);
  if (sentencePiece) return sentencePieceFromJSON(json, model, vocab, merges, specialTokens);
  const pre = json.pre_tokenizer;
  const normalizer = typeOf(json.normalizer);
  // NFC (Qwen 2) only composes characters, which a byte-level tokenizer can do before pre-tokenising.
  if (normalizer !== null && !(normalizer === 'NFC' && typeOf(pre) !== null)) {
    fail(`unsupported normalizer ${normalizer}`);
  }
  const decoder = typeOf(json.decoder);
  const post = typeOf(json.post_processor);
  if (isObject(pre) && (pre.type === 'ByteLevel' || pre.type === 'Sequence')) {
    if (decoder !== 'ByteLevel') fail(`a ByteLevel pre_tokenizer needs a ByteLevel decoder, not ${decoder}`);
    return new ByteLevelBPE(vocab, merges, specialTokens, {
      preTokenizer: byteLevelPreTokenizer(pre),
      ignoreMerges: model.ignore_merges === true,
      nfc: normalizer === 'NFC',
      sequenceTokens: parsePostProcessor(json.post_processor, (t) => specialTokens.get(t) ?? vocab.get(t)),
    });
  }
  if (pre == null && merges.length === 0 && decoder === 'Fuse') {
    if (post !== null) fail(`unsupported post_processor ${post}`);
    const unk = model.unk_token;
    if (unk !== null && unk !== undefined) {
      if (typeof unk !== 'string') fail(`model.unk_token must be a string, got ${JSON.stringify(unk)}`);
      if (model.fuse_unk === true) fail('model.fuse_unk is not supported');
      if (!specialTokens.has(unk)) {
        const id = vocab.get(unk);
        if (id === undefined) fail(`model.unk_token ${JSON.stringify(unk)} is not in the vocab`);
        specialTokens.set(unk, id);
      }
    }
    return new CharTokenizer(vocab, { specialTokens, unkToken: typeof unk === 'string' ? unk : undefined });
  }
  fail(
    `unsupported tokenizer: pre_tokenizer ${typeOf(pre)}, decoder ${decoder}, ${merges.length} merges ` +
      '(jielong reads byte-level BPE: a ByteLevel pre_tokenizer and decoder; SentencePiece-style BPE: a ' +
      'Metaspace pre_tokenizer or a normalizer putting "▁" for spaces; and characters: no pre_tokenizer, ' +
      'no merges, a Fuse decoder)',
  );
}

/** Options that would change the ids; SentencePiece-style files may use byte fallback. */
function checkModelOptions(model: JsonObject, sentencePiece: boolean): void {
  const off = (key: string, ...allowed: unknown[]) => {
    const v = model[key];
    if (v !== undefined && v !== null && !allowed.includes(v)) {
      fail(`model.${key} = ${JSON.stringify(v)} is not supported`);
    }
  };
  off('dropout', 0);
  off('continuing_subword_prefix', '');
  off('end_of_word_suffix', '');
  if (!sentencePiece) off('byte_fallback', false);
  // Byte-level BPE honours ignore_merges (Llama 3 sets it); SentencePiece-style files never do.
  off('ignore_merges', false, ...(sentencePiece ? [] : [true]));
}

function parseVocab(vocab: unknown): Map<string, number> {
  if (!isObject(vocab)) fail('model.vocab must be an object of token: id');
  const out = new Map<string, number>();
  for (const [token, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      fail(`model.vocab gives token ${JSON.stringify(token)} the id ${JSON.stringify(id)}`);
    }
    out.set(token, id as number);
  }
  return out;
}

/** Merges as "left right" strings (older files) or [left, right] pairs (tokenizers 0.20 on). */
function parseMerges(merges: unknown): MergePair[] {
  if (!Array.isArray(merges)) fail('model.merges must be an array');
  return merges.map((m, i): MergePair => {
    const parts = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(parts) || parts.length !== 2 || parts.some((p) => typeof p !== 'string' || p === '')) {
      fail(`model.merges[${i}] is ${JSON.stringify(m)}; expected "left right" or ["left", "right"]`);
    }
    return [parts[0], parts[1]];
  });
}

/**
 * Added tokens, special or not, are matched in raw text before pre-tokenisation, as Hugging Face does;
 * jielong calls them all special tokens.
 */
function parseAddedTokens(added: unknown): Map<string, number> {
  if (!Array.isArray(added)) fail('added_tokens must be an array');
  const out = new Map<string, number>();
  added.forEach((t, i) => {
    if (!isObject(t) || typeof t.content !== 'string' || !Number.isInteger(t.id)) {
      fail(`added_tokens[${i}] needs a string "content" and an integer "id", got ${JSON.stringify(t)}`);
    }
    for (const flag of ['lstrip', 'rstrip', 'single_word'] as const) {
      if (t[flag] === true) fail(`added token ${JSON.stringify(t.content)}: ${flag} is not supported`);
    }
    out.set(t.content, t.id as number);
  });
  return out;
}
