// The Tokenizer interface the rest of jielong uses, and the id table both kinds share: id to token
// string, id to the UTF-8 bytes it stands for, special tokens, encode's outer loop and decode.
import type { TokenizerJSON } from './hf-schema.js';
import { checkSpecialTokens, specialTokenPattern, splitOnSpecialTokens } from './special-tokens.js';
import { checkWellFormed, utf8, utf8Decoder } from './utf8.js';

export type TokenizerKind = 'bpe' | 'char' | 'spm';

export interface EncodeOptions {
  /** Special-token strings in the text become their ids (default true); when false they are plain text. */
  allowSpecial?: boolean;
}

/**
 * The special tokens a model expects around a sequence (Llama's '<s>' first): Hugging Face's post_processor
 * (TemplateProcessing) adds them when it encodes with add_special_tokens, GGUF says add_bos_token. jielong's
 * encode never adds them, so the same ids come out of every tokenizer for the same text; addSpecialTokens
 * does, for feeding a model.
 */
export interface SequenceTokens {
  bos: string | null;
  eos: string | null;
  addBos: boolean;
  addEos: boolean;
}

export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** Number of ids, special tokens included. */
  readonly vocabSize: number;
  readonly specialTokens: ReadonlyMap<string, number>;
  encode(text: string, options?: EncodeOptions): number[];
  /** Exact inverse of encode; throws if the ids do not form valid UTF-8 (use StreamDecoder for prefixes). */
  decode(ids: readonly number[]): string;
  /** The bytes the ids stand for, valid UTF-8 or not. */
  decodeBytes(ids: readonly number[]): Uint8Array;
  /** The token as its vocabulary spells it ('Ġthe' for byte-level BPE). */
  idToToken(id: number): string;
  tokenToId(token: string): number | undefined;
  readonly bosId: number | null;
  readonly eosId: number | null;
  /** Whether addSpecialTokens puts bosId first (and eosId last). */
  readonly addBos: boolean;
  readonly addEos: boolean;
  /** `ids` with the bos and eos the model expects around a sequence (add_special_tokens=True). */
  addSpecialTokens(ids: readonly number[]): number[];
  /** A Hugging Face tokenizer.json object. */
  toJSON(): TokenizerJSON;
}

const strictUtf8 = utf8Decoder(true);

export abstract class BaseTokenizer implements Tokenizer {
  abstract readonly kind: TokenizerKind;
  readonly specialTokens: ReadonlyMap<string, number>;
  private readonly tokens: string[] = [];
  private readonly bytes: Uint8Array[] = [];
  private readonly ids = new Map<string, number>();
  private readonly specialPattern: RegExp | null;
  private sequence = {
    bosId: null as number | null,
    eosId: null as number | null,
    addBos: false,
    addEos: false,
  };

  /**
   * `vocab` maps ordinary tokens to ids and `specialTokens` special-token strings to ids; a special
   * token may also sit in `vocab` under the same id (GPT-2's '<|endoftext|>' does). Together the ids
   * must run from 0 to n-1. `tokenBytes` gives the bytes an ordinary token stands for.
   */
  protected constructor(
    protected readonly label: string,
    vocab: ReadonlyMap<string, number>,
    specialTokens: ReadonlyMap<string, number>,
    tokenBytes: (token: string) => Uint8Array,
  ) {
    checkSpecialTokens([...specialTokens.keys()], label);
    const limit = vocab.size + specialTokens.size;
    const place = (token: string, id: number, bytes: Uint8Array) => {
      if (!Number.isInteger(id) || id < 0 || id >= limit) {
        throw new Error(`${label}: token ${JSON.stringify(token)} has id ${id}; ids must run from 0 to n-1`);
      }
      const had = this.tokens[id];
      if (had !== undefined && had !== token) {
        throw new Error(
          `${label}: id ${id} is given to both ${JSON.stringify(had)} and ${JSON.stringify(token)}`,
        );
      }
      const other = this.ids.get(token);
      if (other !== undefined && other !== id) {
        throw new Error(`${label}: token ${JSON.stringify(token)} has two ids, ${other} and ${id}`);
      }
      this.tokens[id] = token;
      this.bytes[id] = bytes;
      this.ids.set(token, id);
    };
    for (const [token, id] of vocab) {
      const special = specialTokens.get(token);
      if (special === undefined) place(token, id, tokenBytes(token));
      else if (special !== id) {
        throw new Error(
          `${label}: special token ${JSON.stringify(token)} has id ${special} but the vocab says ${id}`,
        );
      }
    }
    for (const [token, id] of specialTokens) place(token, id, utf8(token));
    for (let id = 0; id < this.tokens.length; id++) {
      if (this.tokens[id] === undefined) {
        throw new Error(`${label}: no token has id ${id}; ids must run from 0 to n-1 without gaps`);
      }
    }
    this.specialTokens = new Map(specialTokens);
    this.specialPattern = specialTokenPattern(specialTokens.keys());
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  get bosId(): number | null {
    return this.sequence.bosId;
  }

  get eosId(): number | null {
    return this.sequence.eosId;
  }

  get addBos(): boolean {
    return this.sequence.addBos;
  }

  get addEos(): boolean {
    return this.sequence.addEos;
  }

  /** Sets the sequence tokens once the vocabulary is in place; each must be a token. */
  protected useSequenceTokens({ bos, eos, addBos, addEos }: SequenceTokens): void {
    const idOf = (token: string | null, what: string) => {
      if (token === null) return null;
      const id = this.ids.get(token);
      if (id === undefined)
        throw new Error(`${this.label}: ${what} token ${JSON.stringify(token)} is not a token`);
      return id;
    };
    const bosId = idOf(bos, 'bos');
    const eosId = idOf(eos, 'eos');
    this.sequence = { bosId, eosId, addBos: addBos && bosId !== null, addEos: addEos && eosId !== null };
  }

  addSpecialTokens(ids: readonly number[]): number[] {
    const { bosId, eosId, addBos, addEos } = this.sequence;
    return [...(addBos ? [bosId!] : []), ...ids, ...(addEos ? [eosId!] : [])];
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    checkWellFormed(text, `${this.label}.encode`);
    const out: number[] = [];
    splitOnSpecialTokens(
      text,
      options.allowSpecial === false ? null : this.specialPattern,
      (segment, offset) => this.encodeOrdinary(segment, offset, out),
      (token) => out.push(this.specialTokens.get(token)!),
    );
    return out;
  }

  /** Appends the ids of text that holds no special token; `offset` is where it starts in encode's input. */
  protected abstract encodeOrdinary(text: string, offset: number, out: number[]): void;

  abstract toJSON(): TokenizerJSON;

  decodeBytes(ids: readonly number[]): Uint8Array {
    let length = 0;
    for (let i = 0; i < ids.length; i++) length += this.bytesOf(ids[i], 'decode', i).length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const id of ids) {
      out.set(this.bytes[id], at);
      at += this.bytes[id].length;
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    const bytes = this.decodeBytes(ids);
    try {
      return strictUtf8.decode(bytes);
    } catch {
      throw new Error(this.describeInvalidUtf8(ids));
    }
  }

  idToToken(id: number): string {
    this.bytesOf(id, 'idToToken');
    return this.tokens[id];
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  private bytesOf(id: number, op: string, position?: number): Uint8Array {
    const bytes = Number.isInteger(id) ? this.bytes[id] : undefined;
    if (bytes === undefined) {
      const where = position === undefined ? '' : ` at position ${position}`;
      throw new Error(
        `${this.label}.${op}: token id ${id}${where} is out of range (ids run from 0 to ${this.vocabSize - 1})`,
      );
    }
    return bytes;
  }

  /** Replays the ids through a streaming decoder to say which token breaks UTF-8. */
  private describeInvalidUtf8(ids: readonly number[]): string {
    const stream = utf8Decoder(true);
    for (let i = 0; i < ids.length; i++) {
      try {
        stream.decode(this.bytes[ids[i]], { stream: true });
      } catch {
        const token = JSON.stringify(this.tokens[ids[i]]);
        return `${this.label}.decode: token id ${ids[i]} (${token}) at position ${i} makes the bytes invalid UTF-8`;
      }
    }
    return (
      `${this.label}.decode: the ids end inside a UTF-8 character (its last bytes are missing); ` +
      'decode a sequence cut mid-character with StreamDecoder'
    );
  }
}
