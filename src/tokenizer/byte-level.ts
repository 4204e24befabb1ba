// GPT-2's byte-level step: every byte gets a printable character, so a BPE vocabulary of strings can
// cover arbitrary bytes, and text is first split by GPT-2's regex so merges never cross word edges.
import { describeChar } from './utf8.js';

/**
 * GPT-2's bytes_to_unicode table: the printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for
 * themselves; the other 68 bytes, in order, take U+0100 onwards (so space is 'Ġ', newline 'Ċ').
 */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const table: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table.push(String.fromCharCode(printable ? b : next++));
  }
  return table;
})();

const UNICODE_TO_BYTE = new Map(BYTE_TO_UNICODE.map((ch, b) => [ch, b]));

export function bytesToByteLevel(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_UNICODE[b];
  return s;
}

/** The bytes a byte-level token stands for; throws on a character outside the table. */
export function byteLevelToBytes(token: string): Uint8Array {
  const bytes = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = UNICODE_TO_BYTE.get(token[i]);
    if (b === undefined) {
      throw new Error(
        `byte-level token ${JSON.stringify(token)} holds ${describeChar(token[i])}, ` +
          'which is not in the GPT-2 byte-to-unicode table',
      );
    }
    bytes[i] = b;
  }
  return bytes;
}

/**
 * GPT-2's pre-tokenisation regex: contractions, letter runs, digit runs and runs of other symbols
 * (each with one optional leading space), then whitespace. \p{White_Space} stands for the `\s` of the
 * Python `regex` module GPT-2 used (JavaScript's \s differs: it adds U+FEFF and lacks U+0085).
 */
export const GPT2_SPLIT_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** Splits text into GPT-2 pre-tokens ("I'm here  now" gives I, 'm, ␣here, ␣, ␣now). */
export function pretokenize(text: string): string[] {
  return text.match(GPT2_SPLIT_PATTERN) ?? [];
}
