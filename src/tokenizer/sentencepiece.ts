// SentencePiece-style BPE, the tokenizer of Llama, TinyLlama and Mistral: spaces are spelled '▁', a '▁' is
// put before the text, characters outside the vocabulary fall back to byte tokens '<0x0A>', and pairs
// merge best first. Two sources say which pair is best: Hugging Face's tokenizer.json lists merges by
// rank; a GGUF file (like SentencePiece's own model) gives each token a score, and the adjacent pair
// whose merged token scores highest merges first.
import type { MergePair } from './bpe.js';
import { templateProcessingJSON } from './hf-post-processor.js';
import { addedTokensJSON, type TokenizerJSON } from './hf-schema.js';
import { mergePairs, type PairLookup } from './pair-merge.js';
import { BaseTokenizer, type SequenceTokens } from './tokenizer.js';
import { describeChar, utf8 } from './utf8.js';

/** Metaspace's prepend_scheme: '▁' before every segment, before the text's first only, or never. */
export type PrependScheme = 'always' | 'first' | 'never';

/**
 * How spaces become '▁', in Hugging Face's two shapes. 'normalizer' is the older one (normalizer
 * Sequence[Prepend('▁'), Replace(' ', '▁')], and llama.cpp's add_space_prefix): every segment between
 * special tokens gets a '▁', even one that starts with a space. 'Metaspace' is the pre_tokenizer of newer
 * files: a '▁' only where the segment does not already start with one, and `split` cuts words before '▁'.
 */
export type SpaceHandling =
  | { type: 'normalizer'; prepend: boolean }
  | { type: 'Metaspace'; prependScheme: PrependScheme; split: boolean };

/** SentencePiece's piece types, as GGUF's tokenizer.ggml.token_type stores them. */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

export interface SentencePieceOptions {
  /** Matched in raw text before anything else (Hugging Face's added tokens; GGUF's control tokens). */
  specialTokens?: ReadonlyMap<string, number>;
  /** Default: the normalizer shape with a prepended '▁', as Llama 2. */
  spaces?: SpaceHandling;
  /** Characters with neither a token nor byte tokens become this one (default none: encode throws). */
  unkToken?: string | null;
  /** Consecutive unknown characters make one unk token (Hugging Face's fuse_unk). */
  fuseUnk?: boolean;
  /** A character without a token becomes its bytes' tokens '<0xNN>' when all are in the vocab (default true). */
  byteFallback?: boolean;
  /** The tokens Hugging Face's post-processor (or GGUF's add_bos_token) puts around a sequence. */
  sequenceTokens?: SequenceTokens;
}

export interface FromScoresOptions {
  bos?: number | null;
  eos?: number | null;
  unk?: number | null;
  /** Default true, as Llama's GGUF files say (tokenizer.ggml.add_bos_token). */
  addBos?: boolean;
  addEos?: boolean;
  /** tokenizer.ggml.add_space_prefix; default true. */
  addSpacePrefix?: boolean;
}

const SPACE = '▁';
const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;
const byteToken = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;

/** How pairs are chosen: Hugging Face's ranked merges, or SentencePiece's scores and types by id. */
export type PairRule =
  | { type: 'merges'; merges: readonly MergePair[] }
  | { type: 'scores'; scores: readonly number[]; types: readonly number[] };

export class SentencePieceBPE extends BaseTokenizer {
  readonly kind = 'spm' as const;
  readonly spaces: SpaceHandling;
  readonly unkToken: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  private readonly rule: PairRule;
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly lookup: PairLookup<string>;
  // Under the scores rule: a merged token of type unused is split back into the pair that made it.
  private readonly unusedParts = new Map<string, readonly [string, string]>();

  /**
   * `vocab` maps ordinary tokens to ids (the byte tokens '<0x00>'..'<0xFF>' among them for byte fallback).
   * `rule` is Hugging Face's merges by rank, each joining two vocab tokens into a third, or scores and
   * SentencePiece types by id (see fromScores).
   */
  constructor(vocab: ReadonlyMap<string, number>, rule: PairRule, options: SentencePieceOptions = {}) {
    super('SentencePieceBPE', vocab, options.specialTokens ?? new Map(), tokenBytes);
    this.vocab = vocab;
    this.rule = rule;
    this.lookup = rule.type === 'merges' ? rankedLookup(vocab, rule.merges) : this.scoredLookup(rule);
    this.spaces = options.spaces ?? { type: 'normalizer', prepend: true };
    this.unkToken = options.unkToken ?? null;
    if (this.unkToken !== null && !vocab.has(this.unkToken) && !this.specialTokens.has(this.unkToken)) {
      throw new Error(`SentencePieceBPE: unk token ${JSON.stringify(this.unkToken)} is not in the vocab`);
    }
    this.fuseUnk = options.fuseUnk ?? false;
    if (options.sequenceTokens) this.useSequenceTokens(options.sequenceTokens);
    this.byteFallback = options.byteFallback ?? true;
  }

  /**
   * A tokenizer from a GGUF file's (or a SentencePiece model's) vocabulary: tokens by id, their scores
   * and SentencePiece types. Merging follows SentencePiece: the adjacent pair whose concatenation is a
   * normal, user-defined or unused token merges, highest score first, leftmost among equals; an unused
   * token is split back afterwards. Control and unknown tokens (and user-defined ones, as llama.cpp does)
   * are matched in raw text as special tokens.
   */
  static fromScores(
    tokens: readonly string[],
    scoreList: ArrayLike<number>,
    typeList: ArrayLike<number>,
    options: FromScoresOptions = {},
  ): SentencePieceBPE {
    // GGUF readers may hand over typed arrays (float32 scores, int32 types).
    for (const [what, list] of [
      ['tokens', tokens],
      ['scores', scoreList],
      ['types', typeList],
    ] as const) {
      if (!Array.isArray(list) && !ArrayBuffer.isView(list)) {
        throw new Error(`SentencePieceBPE.fromScores: ${what} must be an array`);
      }
    }
    const scores = Array.from(scoreList);
    const types = Array.from(typeList);
    const n = tokens.length;
    if (scores.length !== n || types.length !== n) {
      throw new Error(
        `SentencePieceBPE.fromScores: ${n} tokens but ${scores.length} scores and ${types.length} types`,
      );
    }
    const name = (id: number | null | undefined, what: string): string | null => {
      if (id === null || id === undefined) return null;
      if (!Number.isInteger(id) || id < 0 || id >= n) {
        throw new Error(`SentencePieceBPE.fromScores: ${what} id ${id} is out of range (0 to ${n - 1})`);
      }
      return tokens[id];
    };
    const vocab = new Map<string, number>();
    const specialTokens = new Map<string, number>();
    tokens.forEach((token, id) => {
      if (typeof token !== 'string' || token === '') {
        throw new Error(`SentencePieceBPE.fromScores: token ${id} is ${JSON.stringify(token)}`);
      }
      if (!Number.isFinite(scores[id])) {
        throw new Error(`SentencePieceBPE.fromScores: token ${id} has score ${scores[id]}`);
      }
      const other = vocab.get(token) ?? specialTokens.get(token);
      if (other !== undefined) {
        throw new Error(
          `SentencePieceBPE.fromScores: token ${JSON.stringify(token)} is both id ${other} and ${id}`,
        );
      }
      const type = types[id];
      const special =
        type === TOKEN_TYPE.control || type === TOKEN_TYPE.unknown || type === TOKEN_TYPE.userDefined;
      (special ? specialTokens : vocab).set(token, id);
    });
    const unk = name(options.unk, 'unk');
    return new SentencePieceBPE(
      vocab,
      { type: 'scores', scores, types },
      {
        specialTokens,
        spaces: { type: 'normalizer', prepend: options.addSpacePrefix ?? true },
        unkToken: unk,
        sequenceTokens: {
          bos: name(options.bos, 'bos'),
          eos: name(options.eos, 'eos'),
          addBos: options.addBos ?? true,
          addEos: options.addEos ?? false,
        },
      },
    );
  }

  /** SentencePiece's rule: a pair merges if its concatenation is a normal, user-defined or unused token. */
  private scoredLookup({ scores, types }: { scores: readonly number[]; types: readonly number[] }) {
    const mergeable = new Map<string, number>();
    for (const [token, id] of this.vocab) {
      const type = types[id];
      if (type === TOKEN_TYPE.normal || type === TOKEN_TYPE.userDefined || type === TOKEN_TYPE.unused) {
        mergeable.set(token, id);
      }
    }
    return (left: string, right: string) => {
      const merged = left + right;
      const id = mergeable.get(merged);
      if (id === undefined) return undefined;
      if (types[id] === TOKEN_TYPE.unused) this.unusedParts.set(merged, [left, right]);
      return { rank: -scores[id], merged };
    };
  }

  /** The text of the ids, with the '▁' that encode put first removed again, as Hugging Face's decoder does. */
  override decode(ids: readonly number[]): string {
    const text = super.decode(ids);
    return this.prepends() && text.startsWith(' ') ? text.slice(1) : text;
  }

  protected encodeOrdinary(text: string, offset: number, out: number[]): void {
    let spelled = text.replaceAll(' ', SPACE);
    const s = this.spaces;
    if (s.type === 'normalizer') {
      if (s.prepend) spelled = SPACE + spelled;
    } else if (
      (s.prependScheme === 'always' || (s.prependScheme === 'first' && offset === 0)) &&
      !spelled.startsWith(SPACE)
    ) {
      spelled = SPACE + spelled;
    }
    const words = s.type === 'Metaspace' && s.split ? splitBeforeSpaces(spelled) : [spelled];
    for (const word of words) {
      if (this.rule.type === 'merges') this.encodeRanked(word, offset, out);
      else this.encodeScored(word, offset, out);
    }
  }

  /**
   * Hugging Face's BPE: characters without a token become byte tokens (or unk) before merging. As there,
   * an unk is held back until a character with a token of its own comes or the word ends, so byte tokens
   * can come before it and, with fuse_unk, one unk stands for every unknown character in between.
   */
  private encodeRanked(word: string, offset: number, out: number[]): void {
    const symbols: string[] = [];
    let heldUnk: string | null = null;
    for (const ch of word) {
      const bytes = this.vocab.has(ch) ? undefined : this.byteTokens(ch);
      if (this.vocab.has(ch)) {
        if (heldUnk !== null) symbols.push(heldUnk);
        heldUnk = null;
        symbols.push(ch);
      } else if (bytes) symbols.push(...bytes);
      else {
        if (heldUnk !== null && !this.fuseUnk) symbols.push(heldUnk);
        heldUnk = this.unk(ch, offset);
      }
    }
    if (heldUnk !== null) symbols.push(heldUnk);
    for (const symbol of mergePairs(symbols, this.lookup)) out.push(this.tokenToId(symbol)!);
  }

  /** SentencePiece's BPE: merge characters first; a piece left without a token becomes byte tokens. */
  private encodeScored(word: string, offset: number, out: number[]): void {
    const emit = (piece: string) => {
      const parts = this.unusedParts.get(piece);
      if (parts) {
        emit(parts[0]);
        emit(parts[1]);
        return;
      }
      const id = this.vocab.get(piece);
      const bytes = id === undefined ? this.byteTokens(piece) : undefined;
      if (id !== undefined) out.push(id);
      else if (bytes) for (const t of bytes) out.push(this.vocab.get(t)!);
      else out.push(this.tokenToId(this.unk(piece, offset))!);
    };
    for (const piece of mergePairs(Array.from(word), this.lookup)) emit(piece);
  }

  /** The byte tokens spelling `text`, or undefined without byte fallback or when one is not in the vocab. */
  private byteTokens(text: string): string[] | undefined {
    if (!this.byteFallback) return undefined;
    const tokens = Array.from(utf8(text), byteToken);
    return tokens.every((t) => this.vocab.has(t)) ? tokens : undefined;
  }

  private unk(ch: string, offset: number): string {
    if (this.unkToken === null) {
      throw new Error(
        `SentencePieceBPE.encode: ${describeChar(ch)} in the segment at index ${offset} has no token, ` +
          'no byte tokens and there is no unk token',
      );
    }
    return this.unkToken;
  }

  private prepends(): boolean {
    const s = this.spaces;
    return s.type === 'normalizer' ? s.prepend : s.prependScheme !== 'never';
  }

  /** The merges Hugging Face needs: the file's, or under the scores rule every split of a mergeable token. */
  private mergesForJSON(): MergePair[] {
    if (this.rule.type === 'merges') return [...this.rule.merges];
    const { scores, types } = this.rule;
    const pieces: number[] = [];
    for (let id = 0; id < types.length; id++) if (types[id] === TOKEN_TYPE.normal) pieces.push(id);
    pieces.sort((a, b) => scores[b] - scores[a] || a - b);
    const merges: MergePair[] = [];
    for (const id of pieces) {
      const piece = this.idToToken(id);
      const chars = Array.from(piece);
      for (let k = 1; k < chars.length; k++) {
        const left = chars.slice(0, k).join('');
        const right = chars.slice(k).join('');
        if (this.vocab.has(left) && this.vocab.has(right)) merges.push([left, right]);
      }
    }
    return merges;
  }

  toJSON(): TokenizerJSON {
    const tokens = Array.from({ length: this.vocabSize }, (_, id) => this.idToToken(id));
    const s = this.spaces;
    const strip = this.prepends() ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : [];
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokensJSON(this.specialTokens),
      normalizer:
        s.type === 'normalizer'
          ? {
              type: 'Sequence',
              normalizers: [
                ...(s.prepend ? [{ type: 'Prepend', prepend: SPACE }] : []),
                { type: 'Replace', pattern: { String: ' ' }, content: SPACE },
              ],
            }
          : null,
      pre_tokenizer:
        s.type === 'Metaspace'
          ? { type: 'Metaspace', replacement: SPACE, prepend_scheme: s.prependScheme, split: s.split }
          : null,
      post_processor: templateProcessingJSON(this),
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: SPACE }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          ...strip,
        ],
      },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: this.unkToken,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: this.fuseUnk,
        byte_fallback: this.byteFallback,
        ignore_merges: false,
        vocab: Object.fromEntries(tokens.map((t, id) => [t, id])),
        merges: this.mergesForJSON().map(([a, b]) => `${a} ${b}`),
      },
    };
  }
}

/** The bytes a token stands for: '<0x0A>' is byte 0x0A, any other token its UTF-8 with '▁' as a space. */
function tokenBytes(token: string): Uint8Array {
  const m = BYTE_TOKEN.exec(token);
  return m ? Uint8Array.of(Number.parseInt(m[1], 16)) : utf8(token.replaceAll(SPACE, ' '));
}

/** Metaspace's split: a new word starts at every '▁' ("a▁▁b" gives "a", "▁", "▁b"). */
function splitBeforeSpaces(text: string): string[] {
  return text.match(/▁[^▁]*|[^▁]+/gu) ?? [];
}

/** Hugging Face's rule: the pair's rank in the merge list; each merge must join vocab tokens into one. */
function rankedLookup(vocab: ReadonlyMap<string, number>, merges: readonly MergePair[]): PairLookup<string> {
  const byPair = new Map<string, Map<string, { rank: number; merged: string }>>();
  merges.forEach(([left, right], rank) => {
    const what = `SentencePieceBPE: merge ${rank} (${JSON.stringify(`${left} ${right}`)})`;
    for (const part of [left, right]) {
      if (!vocab.has(part)) throw new Error(`${what} refers to unknown token ${JSON.stringify(part)}`);
    }
    if (!vocab.has(left + right)) {
      throw new Error(`${what} makes ${JSON.stringify(left + right)}, which is not in the vocab`);
    }
    const rights = byPair.get(left) ?? new Map();
    byPair.set(left, rights);
    // A repeated pair keeps its first (best) rank.
    if (!rights.has(right)) rights.set(right, { rank, merged: left + right });
  });
  return (left, right) => byPair.get(left)?.get(right);
}
