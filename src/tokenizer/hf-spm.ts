// Reading a SentencePiece-style tokenizer.json (Llama, TinyLlama, Mistral) in either of Hugging Face's
// shapes: the older normalizer Sequence[Prepend('▁'), Replace(' ', '▁')] with no pre_tokenizer, or the
// newer Metaspace pre_tokenizer. Anything that would change the ids is refused by name.
import type { MergePair } from './bpe.js';
import { fail, isObject, type JsonObject, members, typeOf } from './hf-fields.js';
import { parsePostProcessor } from './hf-post-processor.js';
import { type PrependScheme, SentencePieceBPE, type SpaceHandling } from './sentencepiece.js';

const SPACE = '▁';

/** Whether the file has SentencePiece's shape, so sentencePieceFromJSON should read it. */
export function isSentencePieceJSON(json: JsonObject): boolean {
  const pre = json.pre_tokenizer;
  return typeOf(pre) === 'Metaspace' || ((pre === null || pre === undefined) && isObject(json.normalizer));
}

export function sentencePieceFromJSON(
  json: JsonObject,
  model: JsonObject,
  vocab: Map<string, number>,
  merges: MergePair[],
  specialTokens: Map<string, number>,
): SentencePieceBPE {
  const spaces = spaceHandling(json);
  checkDecoder(json.decoder);
  if (spaces.type === 'normalizer' && Array.isArray(json.added_tokens)) {
    // A normalized added token is looked for after '▁' replaced the spaces, which jielong does not do.
    json.added_tokens.forEach((t, i) => {
      if (isObject(t) && t.normalized === true) {
        fail(
          `added_tokens[${i}].normalized = true is not supported with a normalizer (jielong matches raw text)`,
        );
      }
    });
  }
  const unk = model.unk_token ?? null;
  if (unk !== null && typeof unk !== 'string')
    fail(`model.unk_token must be a string, got ${JSON.stringify(unk)}`);
  for (const key of ['byte_fallback', 'fuse_unk'] as const) {
    if (model[key] !== undefined && typeof model[key] !== 'boolean') {
      fail(`model.${key} must be true or false, got ${JSON.stringify(model[key])}`);
    }
  }
  return new SentencePieceBPE(
    vocab,
    { type: 'merges', merges },
    {
      specialTokens,
      spaces,
      unkToken: unk,
      fuseUnk: model.fuse_unk === true,
      byteFallback: model.byte_fallback === true,
      sequenceTokens: parsePostProcessor(json.post_processor, (t) => specialTokens.get(t) ?? vocab.get(t)),
    },
  );
}

function spaceHandling(json: JsonObject): SpaceHandling {
  const pre = json.pre_tokenizer;
  if (isObject(pre)) {
    if (json.normalizer !== null && json.normalizer !== undefined) {
      fail(`normalizer ${typeOf(json.normalizer)} with a Metaspace pre_tokenizer is not supported`);
    }
    if (pre.replacement !== undefined && pre.replacement !== SPACE) {
      fail(
        `pre_tokenizer.replacement ${JSON.stringify(pre.replacement)} is not supported (jielong reads "▁")`,
      );
    }
    // Files from before prepend_scheme say add_prefix_space instead.
    const scheme = pre.prepend_scheme ?? (pre.add_prefix_space === false ? 'never' : 'always');
    if (scheme !== 'always' && scheme !== 'first' && scheme !== 'never') {
      fail(
        `pre_tokenizer.prepend_scheme must be "always", "first" or "never", got ${JSON.stringify(scheme)}`,
      );
    }
    const split = pre.split ?? true;
    if (typeof split !== 'boolean')
      fail(`pre_tokenizer.split must be true or false, got ${JSON.stringify(split)}`);
    return { type: 'Metaspace', prependScheme: scheme as PrependScheme, split };
  }
  const steps = members(json.normalizer as JsonObject, 'normalizers', 'normalizer');
  const isPrepend = (s: JsonObject) => s.type === 'Prepend' && s.prepend === SPACE;
  const isReplace = (s: JsonObject) =>
    s.type === 'Replace' && isObject(s.pattern) && s.pattern.String === ' ' && s.content === SPACE;
  const prepend = steps.length === 2 && isPrepend(steps[0]);
  if (!(steps.length === 1 || prepend) || !isReplace(steps[steps.length - 1])) {
    fail(
      `unsupported normalizer ${JSON.stringify(json.normalizer)} (jielong reads Sequence[Prepend("▁"), ` +
        'Replace(" ", "▁")] or Replace(" ", "▁") alone)',
    );
  }
  return { type: 'normalizer', prepend };
}

/** The decoder changes only decode; still, one jielong would decode differently is refused. */
function checkDecoder(decoder: unknown): void {
  if (!isObject(decoder)) fail(`decoder must be an object, got ${JSON.stringify(decoder)}`);
  members(decoder, 'decoders', 'decoder').forEach((d, i) => {
    const field = decoder.type === 'Sequence' ? `decoder.decoders[${i}]` : 'decoder';
    const ok =
      d.type === 'ByteFallback' ||
      d.type === 'Fuse' ||
      d.type === 'Metaspace' ||
      (d.type === 'Replace' && isObject(d.pattern) && d.pattern.String === SPACE && d.content === ' ') ||
      (d.type === 'Strip' && d.content === ' ' && d.start === 1 && d.stop === 0);
    if (!ok) fail(`${field}: unsupported decoder ${JSON.stringify(d)} in a SentencePiece-style file`);
  });
}
