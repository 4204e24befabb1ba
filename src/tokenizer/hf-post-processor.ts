// A tokenizer.json's post_processor adds special tokens around an encoded sequence (Llama's '<s>' first)
// when Hugging Face encodes with add_special_tokens; jielong's encode never does, so the post-processor
// only says which tokens those are. ByteLevel's post-processing moves offsets, never ids.
import { fail, isObject, type JsonObject, members } from './hf-fields.js';

/** The special tokens TemplateProcessing puts before and after a single sequence. */
export interface SequenceTemplate {
  bos: string | null;
  eos: string | null;
}

export function parsePostProcessor(post: unknown): SequenceTemplate {
  const template: SequenceTemplate = { bos: null, eos: null };
  if (post === null || post === undefined) return template;
  if (!isObject(post)) fail(`post_processor must be an object or null, got ${JSON.stringify(post)}`);
  members(post, 'processors', 'post_processor').forEach((p, i) => {
    const field = post.type === 'Sequence' ? `post_processor.processors[${i}]` : 'post_processor';
    if (p.type === 'TemplateProcessing') Object.assign(template, parseTemplate(p, field));
    else if (p.type !== 'ByteLevel') fail(`${field}: unsupported post-processor ${JSON.stringify(p.type)}`);
  });
  return template;
}

function parseTemplate(p: JsonObject, field: string): SequenceTemplate {
  const single = p.single;
  if (!Array.isArray(single)) fail(`${field}.single must be an array`);
  const at = single.findIndex((piece) => isObject(piece) && isObject(piece.Sequence));
  if (at < 0) fail(`${field}.single has no {"Sequence": ...} for the text`);
  const token = (piece: unknown, where: string): string => {
    const special = isObject(piece) && isObject(piece.SpecialToken) ? piece.SpecialToken.id : undefined;
    const known = isObject(p.special_tokens) ? p.special_tokens[special as string] : undefined;
    if (
      typeof special !== 'string' ||
      !isObject(known) ||
      !Array.isArray(known.tokens) ||
      known.tokens.length !== 1
    ) {
      fail(
        `${field}.single[${where}] must be one special token listed in special_tokens, got ${JSON.stringify(piece)}`,
      );
    }
    return known.tokens[0] as string;
  };
  if (at > 1 || single.length - at > 2) {
    fail(
      `${field}.single puts more than one token before or after the text (jielong keeps a bos and an eos)`,
    );
  }
  return {
    bos: at === 1 ? token(single[0], '0') : null,
    eos: at + 1 < single.length ? token(single[at + 1], String(at + 1)) : null,
  };
}
