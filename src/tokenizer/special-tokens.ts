// Special tokens ('<|endoftext|>', '<pad>') are matched in the raw text before any pre-tokenisation,
// as Hugging Face's added tokens are, so a model can be fed one as a single id.
import { checkWellFormed } from './utf8.js';

/** Checks a list of special-token strings: non-empty, well-formed and distinct. */
export function checkSpecialTokens(tokens: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const t of tokens) {
    if (typeof t !== 'string' || t.length === 0) {
      throw new Error(`${what}: special tokens must be non-empty strings, got ${JSON.stringify(t)}`);
    }
    checkWellFormed(t, `${what}: special token ${JSON.stringify(t)}`);
    if (seen.has(t)) throw new Error(`${what}: special token ${JSON.stringify(t)} is listed twice`);
    seen.add(t);
  }
}

/** A regex matching any special token, longest first so one that extends another wins; null if none. */
export function specialTokenPattern(tokens: Iterable<string>): RegExp | null {
  const list = [...tokens].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  if (list.length === 0) return null;
  return new RegExp(list.map((t) => t.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join('|'), 'gu');
}

/**
 * Calls onText for each stretch of ordinary text (with its offset in `text`) and onSpecial for each
 * special token, in order. With no pattern the whole text is ordinary.
 */
export function splitOnSpecialTokens(
  text: string,
  pattern: RegExp | null,
  onText: (segment: string, offset: number) => void,
  onSpecial: (token: string) => void,
): void {
  let start = 0;
  if (pattern) {
    for (const m of text.matchAll(pattern)) {
      if (m.index > start) onText(text.slice(start, m.index), start);
      onSpecial(m[0]);
      start = m.index + m[0].length;
    }
  }
  if (start < text.length) onText(start === 0 ? text : text.slice(start), start);
}
