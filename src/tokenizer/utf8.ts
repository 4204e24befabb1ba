// UTF-8 at the edges of a tokenizer: JS strings are UTF-16, so a string cut inside a surrogate pair
// has no UTF-8 form and must be refused before it reaches the byte-level model.

const encoder = new TextEncoder();

// The globals, not node:util's classes, so this file also runs in a browser.
export type Utf8Decoder = InstanceType<typeof TextDecoder>;

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * A TextDecoder that keeps a leading U+FEFF (the default strips it as a byte-order mark, which would
 * break decode(encode(text)) === text) and, when fatal, throws instead of inserting U+FFFD.
 */
export function utf8Decoder(fatal: boolean): Utf8Decoder {
  return new TextDecoder('utf-8', { fatal, ignoreBOM: true });
}

// With the u flag a paired surrogate is one code point, so \p{Cs} matches only a lone half.
const LONE_SURROGATE = /\p{Cs}/u;

/** Throws if `text` holds a lone surrogate, naming where; `what` says who is asking. */
export function checkWellFormed(text: string, what: string): void {
  const m = LONE_SURROGATE.exec(text);
  if (m) {
    const unit = m[0].charCodeAt(0).toString(16).toUpperCase();
    throw new Error(
      `${what}: text has a lone surrogate \\u${unit} at index ${m.index}, which has no UTF-8 form ` +
        '(was a string cut inside a character such as an emoji?)',
    );
  }
}

/** U+XXXX and the character itself, for error messages. */
export function describeChar(ch: string): string {
  return `'${ch}' (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
}
