// GPT-2 style byte-level BPE: text is split by GPT-2's regex, each piece becomes UTF-8 bytes spelled in
// the byte-to-unicode alphabet, and merges are applied lowest rank first until none applies.
import { learnMerges } from './bpe-train.js';
import { BYTE_TO_UNICODE, byteLevelToBytes, bytesToByteLevel, GPT2_SPLIT_PATTERN } from './byte-level.js';
import { templateProcessingJSON } from './hf-post-processor.js';
import { GPT2_PRE_TOKENIZER, type PreTokenizer } from './hf-pre-tokenizer.js';
import { BYTE_LEVEL_JSON, bpeTokenizerJSON, type TokenizerJSON } from './hf-schema.js';
import { checkSpecialTokens, specialTokenPattern, splitOnSpecialTokens } from './special-tokens.js';
import { BaseTokenizer, type SequenceTokens } from './tokenizer.js';
import { checkWellFormed, utf8 } from './utf8.js';

/** A merge rule: two byte-level tokens whose concatenation is also in the vocab. */
export type MergePair = readonly [left: string, right: string];

export interface BPETrainOptions {
  /** Final vocabulary size: 256 byte tokens, the learned merges, then the special tokens. */
  vocabSize: number;
  /** Appended after the learned tokens (GPT-2 puts '<|endoftext|>' last); removed from the training text. */
  specialTokens?: readonly string[];
  /** Stop early when the most frequent pair occurs fewer times than this (default 0: no minimum). */
  minFrequency?: number;
  onProgress?: (merges: number, maxMerges: number) => void;
}

// Pair keys as in training: a * PAIR_BASE + b.
const PAIR_BASE = 2 ** 21;
export interface ByteLevelBPEOptions {
  /** Cuts text into the words merges stay within; default GPT-2's regex. */
  preTokenizer?: PreTokenizer;
  /** Hugging Face's ignore_merges (Llama 3): a word that is itself a token is that token, unmerged. */
  ignoreMerges?: boolean;
  /**
   * Hugging Face's NFC normalizer (Qwen 2): text between special tokens is composed first, so decode gives
   * the NFC form of what was encoded.
   */
  nfc?: boolean;
  sequenceTokens?: SequenceTokens;
}

// Pre-token words repeat (Zipf), so encoding caches them; the cap bounds memory on huge corpora.
const CACHE_LIMIT = 1 << 16;

export class ByteLevelBPE extends BaseTokenizer {
  readonly kind = 'bpe' as const;
  /** Merge rules by rank (rank 0 is applied first). */
  readonly merges: readonly MergePair[];
  readonly preTokenizer: PreTokenizer;
  readonly ignoreMerges: boolean;
  readonly nfc: boolean;
  private readonly ranks = new Map<number, number>();
  // By rank: the ids of the left token, the right token and the token they make.
  private readonly lefts: Int32Array;
  private readonly rights: Int32Array;
  private readonly mergedIds: Int32Array;
  private readonly byteIds = new Int32Array(256);
  private readonly cache = new Map<string, readonly number[]>();

  /**
   * `vocab` maps byte-level token strings to ids and must hold all 256 single-byte tokens; every merge
   * must join two vocab tokens into a third. Special tokens map their raw text to ids.
   */
  constructor(
    vocab: ReadonlyMap<string, number>,
    merges: readonly MergePair[],
    specialTokens: ReadonlyMap<string, number> = new Map(),
    options: ByteLevelBPEOptions = {},
  ) {
    super('ByteLevelBPE', vocab, specialTokens, (token) => {
      try {
        return byteLevelToBytes(token);
      } catch (e) {
        throw new Error(`ByteLevelBPE: ${(e as Error).message}`);
      }
    });
    BYTE_TO_UNICODE.forEach((ch, b) => {
      const id = vocab.get(ch);
      if (id === undefined || specialTokens.has(ch)) {
        throw new Error(`ByteLevelBPE: the vocab lacks ${JSON.stringify(ch)}, the token for byte ${b}`);
      }
      this.byteIds[b] = id;
    });
    this.lefts = new Int32Array(merges.length);
    this.rights = new Int32Array(merges.length);
    this.mergedIds = new Int32Array(merges.length);
    merges.forEach(([left, right], rank) => {
      const what = `ByteLevelBPE: merge ${rank} (${JSON.stringify(`${left} ${right}`)})`;
      const a = vocab.get(left);
      const b = vocab.get(right);
      if (a === undefined) throw new Error(`${what} refers to unknown token ${JSON.stringify(left)}`);
      if (b === undefined) throw new Error(`${what} refers to unknown token ${JSON.stringify(right)}`);
      const c = vocab.get(left + right);
      if (c === undefined)
        throw new Error(`${what} makes ${JSON.stringify(left + right)}, which is not in the vocab`);
      const earlier = this.ranks.get(a * PAIR_BASE + b);
      if (earlier !== undefined) throw new Error(`${what} repeats merge ${earlier}`);
      this.ranks.set(a * PAIR_BASE + b, rank);
      this.lefts[rank] = a;
      this.rights[rank] = b;
      this.mergedIds[rank] = c;
    });
    this.merges = merges.map(([l, r]) => [l, r] as const);
    this.preTokenizer = options.preTokenizer ?? GPT2_PRE_TOKENIZER;
    this.ignoreMerges = options.ignoreMerges ?? false;
    this.nfc = options.nfc ?? false;
    if (options.sequenceTokens) this.useSequenceTokens(options.sequenceTokens);
  }

  /**
   * Trains on `text`: pre-tokenises it with GPT-2's regex, counts unique words, then learns merges
   * until the vocabulary (special tokens included) reaches `vocabSize` or no pair is frequent enough.
   * Ties between equally frequent pairs go to the smaller (left id, right id), byte tokens having
   * ids 0..255 in byte order and learned tokens following in the order they were made.
   */
  static train(text: string, options: BPETrainOptions): ByteLevelBPE {
    const { vocabSize, specialTokens = [], minFrequency, onProgress } = options;
    checkWellFormed(text, 'ByteLevelBPE.train');
    checkSpecialTokens(specialTokens, 'ByteLevelBPE.train');
    const maxTokens = vocabSize - specialTokens.length;
    if (!Number.isInteger(vocabSize) || maxTokens < 256) {
      throw new Error(
        `ByteLevelBPE.train: vocabSize ${vocabSize} must be an integer of at least 256 + ${specialTokens.length} ` +
          '(the byte tokens and the special tokens)',
      );
    }
    const wordCounts = new Map<string, number>();
    const count = (segment: string) => {
      for (const [word] of segment.matchAll(GPT2_SPLIT_PATTERN)) {
        wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
      }
    };
    splitOnSpecialTokens(text, specialTokenPattern(specialTokens), count, () => {});

    const words: number[][] = [];
    const counts: number[] = [];
    for (const [word, n] of wordCounts) {
      words.push(Array.from(utf8(word)));
      counts.push(n);
    }
    const learned = learnMerges(words, counts, BYTE_TO_UNICODE, { maxTokens, minFrequency, onProgress });
    const vocab = new Map(learned.tokens.map((t, id) => [t, id]));
    const merges = learned.merges.map(([a, b]): MergePair => [learned.tokens[a], learned.tokens[b]]);
    const specials = new Map(specialTokens.map((t, i) => [t, learned.tokens.length + i]));
    return new ByteLevelBPE(vocab, merges, specials);
  }

  protected encodeOrdinary(text: string, _offset: number, out: number[]): void {
    for (const word of this.preTokenizer.split(this.nfc ? text.normalize('NFC') : text)) {
      for (const id of this.encodeWord(word)) out.push(id);
    }
  }

  private encodeWord(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    if (this.ignoreMerges) {
      const spelled = bytesToByteLevel(utf8(word));
      const id = this.specialTokens.has(spelled) ? undefined : this.tokenToId(spelled);
      if (id !== undefined) return [id];
    }
    let symbols = Array.from(utf8(word), (b) => this.byteIds[b]);
    while (symbols.length > 1) {
      let best = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(symbols[i] * PAIR_BASE + symbols[i + 1]);
        if (rank !== undefined && (best < 0 || rank < best)) best = rank;
      }
      if (best < 0) break;
      // Every occurrence of the best pair merges in one left-to-right pass, as in GPT-2's encoder.
      const a = this.lefts[best];
      const b = this.rights[best];
      const next: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          next.push(this.mergedIds[best]);
          i++;
        } else next.push(symbols[i]);
      }
      symbols = next;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, symbols);
    return symbols;
  }

  toJSON(): TokenizerJSON {
    return bpeTokenizerJSON(this, {
      merges: this.merges,
      unkToken: null,
      preTokenizer: { ...this.preTokenizer.json },
      decoder: { ...BYTE_LEVEL_JSON },
      normalizer: this.nfc ? { type: 'NFC' } : null,
      postProcessor: templateProcessingJSON(this),
      ignoreMerges: this.ignoreMerges,
    });
  }
}
