// Decoding while generating: ids arrive one at a time, and with byte-level tokens a character can be
// split across several of them, so text is released only once its bytes are complete.
import type { Tokenizer } from './tokenizer.js';
import { type Utf8Decoder, utf8Decoder } from './utf8.js';

export interface StreamDecoderOptions {
  /**
   * Throw on bytes that cannot be UTF-8 (and on a character cut off by flush). The default, false,
   * puts U+FFFD in their place, as Hugging Face's decoders do: a sampled model may emit such bytes,
   * and a stream should not die of it.
   */
  fatal?: boolean;
}

export class StreamDecoder {
  private readonly fatal: boolean;
  private decoder: Utf8Decoder;
  private position = 0;

  constructor(
    private readonly tokenizer: Tokenizer,
    options: StreamDecoderOptions = {},
  ) {
    this.fatal = options.fatal ?? false;
    this.decoder = utf8Decoder(this.fatal);
  }

  /** Takes the next id; returns the text it completes ('' while a character is still partial). */
  push(id: number): string {
    const bytes = this.tokenizer.decodeBytes([id]);
    const at = this.position++;
    try {
      return this.decoder.decode(bytes, { stream: true });
    } catch {
      this.reset();
      throw new Error(`StreamDecoder.push: token id ${id} at position ${at} makes the bytes invalid UTF-8`);
    }
  }

  /** Ends the stream: returns what is left and starts afresh. */
  flush(): string {
    try {
      return this.decoder.decode();
    } catch {
      throw new Error(
        'StreamDecoder.flush: the stream ends inside a UTF-8 character (its last bytes are missing)',
      );
    } finally {
      this.reset();
    }
  }

  private reset(): void {
    this.decoder = utf8Decoder(this.fatal);
    this.position = 0;
  }
}
