// One token per Unicode code point. Saved as a Hugging Face BPE model with no merges, no
// pre-tokenizer and a Fuse decoder: BPE splits its input into characters and, with nothing to merge,
// keeps them, so Hugging Face encodes and decodes it exactly as this class does.
import { bpeTokenizerJSON, type TokenizerJSON } from './hf-schema.js';
import { checkSpecialTokens } from './special-tokens.js';
import { BaseTokenizer } from './tokenizer.js';
import { checkWellFormed, describeChar, utf8 } from './utf8.js';

export interface CharTokenizerOptions {
  /** Special-token strings by id; they may be longer than one character. */
  specialTokens?: ReadonlyMap<string, number>;
  /** A special token that stands for any character not in the vocabulary; without one, encode throws. */
  unkToken?: string;
}

export interface CharFromTextOptions {
  /** Appended after the characters, in this order. */
  specialTokens?: readonly string[];
  /** Appended after the special tokens unless listed among them. */
  unkToken?: string;
}

export class CharTokenizer extends BaseTokenizer {
  readonly kind = 'char' as const;
  readonly unkToken: string | null;
  private readonly unkId: number | undefined;
  // Ordinary characters only: a one-character special token in plain text is not its special id.
  private readonly chars: ReadonlyMap<string, number>;

  /** `vocab` maps single code points to ids; special tokens (the unk token among them) come in options. */
  constructor(vocab: ReadonlyMap<string, number>, options: CharTokenizerOptions = {}) {
    const { specialTokens = new Map(), unkToken } = options;
    super('CharTokenizer', vocab, specialTokens, (token) => {
      if ([...token].length !== 1) {
        throw new Error(`CharTokenizer: vocab token ${JSON.stringify(token)} is not a single character`);
      }
      return utf8(token);
    });
    if (unkToken !== undefined && !specialTokens.has(unkToken)) {
      throw new Error(`CharTokenizer: unk token ${JSON.stringify(unkToken)} is not among the special tokens`);
    }
    this.chars = new Map([...vocab].filter(([token]) => !specialTokens.has(token)));
    this.unkToken = unkToken ?? null;
    this.unkId = unkToken === undefined ? undefined : specialTokens.get(unkToken);
  }

  /** A vocabulary of every code point in `text`, sorted by code point, so the same text gives the same ids. */
  static fromText(text: string, options: CharFromTextOptions = {}): CharTokenizer {
    const { unkToken } = options;
    checkWellFormed(text, 'CharTokenizer.fromText');
    const chars = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    const specials = [...(options.specialTokens ?? [])];
    if (unkToken !== undefined && !specials.includes(unkToken)) specials.push(unkToken);
    checkSpecialTokens(specials, 'CharTokenizer.fromText');
    const vocab = new Map(chars.filter((ch) => !specials.includes(ch)).map((ch, id) => [ch, id]));
    const specialTokens = new Map(specials.map((t, i) => [t, vocab.size + i]));
    return new CharTokenizer(vocab, { specialTokens, unkToken });
  }

  protected encodeOrdinary(text: string, offset: number, out: number[]): void {
    let index = offset;
    for (const ch of text) {
      const id = this.chars.get(ch) ?? this.unkId;
      if (id === undefined) {
        throw new Error(
          `CharTokenizer.encode: character ${describeChar(ch)} at index ${index} is not in the vocabulary ` +
            '(build the tokenizer with an unkToken to map unknown characters to it)',
        );
      }
      out.push(id);
      index += ch.length;
    }
  }

  toJSON(): TokenizerJSON {
    return bpeTokenizerJSON(this, {
      merges: [],
      unkToken: this.unkToken,
      preTokenizer: null,
      decoder: { type: 'Fuse' },
    });
  }
}
