// Byte-level BPE pre-tokenizers as Hugging Face files state them: GPT-2's ByteLevel (its regex, maybe a
// prefix space), or a Sequence of Split(regex) / Digits steps ending in ByteLevel without its regex, as
// Llama 3, Qwen and SmolLM write. Each step splits every piece the step before made.
import { GPT2_SPLIT_PATTERN } from './byte-level.js';
import { fail, isObject, type JsonObject, members } from './hf-fields.js';
import { BYTE_LEVEL_JSON, type ComponentJSON } from './hf-schema.js';

/** Splits ordinary text into the words BPE merges within; `json` writes it back. */
export interface PreTokenizer {
  split(text: string): string[];
  readonly json: ComponentJSON;
}

/** GPT-2's: its regex, no prefix space. jielong's own files are written with it. */
export const GPT2_PRE_TOKENIZER: PreTokenizer = byteLevelStep({ ...BYTE_LEVEL_JSON }, 'pre_tokenizer');

/** The byte-level pre-tokenizer a tokenizer.json's pre_tokenizer field describes. */
export function byteLevelPreTokenizer(pre: JsonObject): PreTokenizer {
  const steps = members(pre, 'pretokenizers', 'pre_tokenizer');
  const split = steps.map((step, i) => {
    const field = pre.type === 'Sequence' ? `pre_tokenizer.pretokenizers[${i}]` : 'pre_tokenizer';
    if (step.type === 'ByteLevel') {
      // ByteLevel maps bytes to characters; a step after it would see those instead of the text.
      if (i !== steps.length - 1) fail(`${field}: ByteLevel must be the last pre-tokenizer`);
      return byteLevelStep(step, field).split;
    }
    if (step.type === 'Split') return splitStep(step, field);
    if (step.type === 'Digits') return digitsStep(step);
    return fail(`${field}: unsupported pre-tokenizer ${JSON.stringify(step.type)} in a byte-level file`);
  });
  if (steps.at(-1)?.type !== 'ByteLevel') fail('pre_tokenizer: a byte-level file needs ByteLevel last');
  return {
    split: (text) => split.reduce((pieces: string[], step) => pieces.flatMap(step), [text]),
    json: pre as ComponentJSON,
  };
}

function byteLevelStep(step: JsonObject, field: string): PreTokenizer {
  const prefix = flag(step, 'add_prefix_space', false, field);
  const regex = flag(step, 'use_regex', true, field);
  return {
    split: (text) => {
      const spaced = prefix && !text.startsWith(' ') ? ` ${text}` : text;
      return regex ? isolate(spaced, GPT2_SPLIT_PATTERN) : [spaced];
    },
    json: step as ComponentJSON,
  };
}

function splitStep(step: JsonObject, field: string): (text: string) => string[] {
  if (step.behavior !== 'Isolated') {
    fail(`${field}.behavior ${JSON.stringify(step.behavior)} is not supported (jielong reads "Isolated")`);
  }
  if (step.invert === true) fail(`${field}.invert = true is not supported`);
  const pattern = step.pattern;
  let regex: RegExp;
  if (isObject(pattern) && typeof pattern.String === 'string' && pattern.String !== '') {
    regex = new RegExp(pattern.String.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'), 'gu');
  } else if (isObject(pattern) && typeof pattern.Regex === 'string') {
    regex = translateRegex(pattern.Regex, `${field}.pattern.Regex`);
  } else {
    return fail(
      `${field}.pattern must be {"String": text} or {"Regex": pattern}, got ${JSON.stringify(pattern)}`,
    );
  }
  return (text) => isolate(text, regex);
}

function digitsStep(step: JsonObject): (text: string) => string[] {
  const regex = step.individual_digits === true ? /\p{N}/gu : /\p{N}+/gu;
  return (text) => isolate(text, regex);
}

function flag(step: JsonObject, key: string, fallback: boolean, field: string): boolean {
  const v = step[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail(`${field}.${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Split's "Isolated" behaviour: each match is a piece and so is each stretch between matches. */
function isolate(text: string, regex: RegExp): string[] {
  const out: string[] = [];
  let at = 0;
  for (const m of text.matchAll(regex)) {
    if (m[0] === '') continue;
    if (m.index > at) out.push(text.slice(at, m.index));
    out.push(m[0]);
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/**
 * Hugging Face's regexes are Oniguruma's; the ones tokenizers use differ from JavaScript's in three ways
 * this rewrites: `(?i:...)` groups (letters become [xX]), `\s`/`\S` (Oniguruma's is the Unicode
 * White_Space property; JavaScript's adds U+FEFF and lacks U+0085), and escaped punctuation that the u flag
 * refuses. Anything else JavaScript cannot compile is refused by name.
 */
export function translateRegex(source: string, field: string): RegExp {
  let out = '';
  let inClass = false;
  let caseless = 0; // nesting depth inside a (?i:...) group, 0 when outside
  let depth = 0;
  const caselessAt: number[] = [];
  const chars = Array.from(source);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\') {
      const e = chars[++i];
      if (e === undefined) fail(`${field} ends in a backslash`);
      if (e === 's') out += '\\p{White_Space}';
      else if (e === 'S') out += '\\P{White_Space}';
      else if (/[\p{L}\p{N}]/u.test(e) || '^$\\.*+?()[]{}|/-'.includes(e)) out += `\\${e}`;
      else out += e;
      if ((e === 'p' || e === 'P') && chars[i + 1] === '{') {
        // \p{...}: copy the property name untouched, even inside a caseless group.
        const close = chars.indexOf('}', i);
        out += chars.slice(i + 1, close + 1).join('');
        i = close;
      }
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      else if (caseless && /\p{L}/u.test(c))
        fail(`${field}: a letter in a class inside (?i:...) is not supported`);
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '(') {
      depth++;
      if (chars.slice(i, i + 4).join('') === '(?i:') {
        caselessAt.push(depth);
        caseless++;
        out += '(?:';
        i += 3;
      } else out += c;
    } else if (c === ')') {
      if (caselessAt.at(-1) === depth) {
        caselessAt.pop();
        caseless--;
      }
      depth--;
      out += c;
    } else if (caseless && c.toLowerCase() !== c.toUpperCase()) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    } else out += c;
  }
  try {
    return new RegExp(out, 'gu');
  } catch (e) {
    return fail(`${field} ${JSON.stringify(source)} is not a regex jielong can run: ${(e as Error).message}`);
  }
}
