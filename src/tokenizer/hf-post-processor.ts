// A tokenizer.json's post_processor adds special tokens around an encoded sequence (Llama's '<s>' first)
// when Hugging Face encodes with add_special_tokens; jielong's encode never does, so the post-processor
// only says which tokens those are. ByteLevel's post-processing moves offsets, never ids.
import { fail, isObject, type JsonObject, members } from './hf-fields.js';
import type { ComponentJSON } from './hf-schema.js';
import type { SequenceTokens, Tokenizer } from './tokenizer.js';

/**
 * The special tokens TemplateProcessing puts before and after a single sequence. Hugging Face adds the ids
 * the template lists, so they must be the ids `idOf` gives those tokens.
 */
export function parsePostProcessor(
  post: unknown,
  idOf: (token: string) => number | undefined,
): SequenceTokens {
  const template: SequenceTokens = { bos: null, eos: null, addBos: false, addEos: false };
  if (post === null || post === undefined) return template;
  if (!isObject(post)) fail(`post_processor must be an object or null, got ${JSON.stringify(post)}`);
  members(post, 'processors', 'post_processor').forEach((p, i) => {
    const field = post.type === 'Sequence' ? `post_processor.processors[${i}]` : 'post_processor';
    if (p.type === 'TemplateProcessing') Object.assign(template, parseTemplate(p, field, idOf));
    else if (p.type !== 'ByteLevel') fail(`${field}: unsupported post-processor ${JSON.stringify(p.type)}`);
  });
  return template;
}

function parseTemplate(
  p: JsonObject,
  field: string,
  idOf: (token: string) => number | undefined,
): SequenceTokens {
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
    const name = known.tokens[0] as string;
    if (!Array.isArray(known.ids) || known.ids.length !== 1 || known.ids[0] !== idOf(name)) {
      fail(
        `${field}.special_tokens[${JSON.stringify(special)}].ids is ${JSON.stringify(known.ids)} but ` +
          `${JSON.stringify(name)} is id ${idOf(name)}`,
      );
    }
    return name;
  };
  if (at > 1 || single.length - at > 2) {
    fail(
      `${field}.single puts more than one token before or after the text (jielong keeps a bos and an eos)`,
    );
  }
  const bos = at === 1 ? token(single[0], '0') : null;
  const eos = at + 1 < single.length ? token(single[at + 1], String(at + 1)) : null;
  return { bos, eos, addBos: bos !== null, addEos: eos !== null };
}

/** TemplateProcessing adding the tokenizer's bos/eos, or null when it adds none. */
export function templateProcessingJSON(t: Tokenizer): ComponentJSON | null {
  const around = [t.addBos ? t.bosId : null, t.addEos ? t.eosId : null];
  if (around.every((id) => id === null)) return null;
  const special = (id: number | null) =>
    id === null ? [] : [{ SpecialToken: { id: t.idToToken(id), type_id: 0 } }];
  const sequence = (seq: string) => [
    ...special(around[0]),
    { Sequence: { id: seq, type_id: 0 } },
    ...special(around[1]),
  ];
  const used = around.filter((id): id is number => id !== null);
  return {
    type: 'TemplateProcessing',
    single: sequence('A'),
    pair: [...sequence('A'), ...sequence('B')],
    special_tokens: Object.fromEntries(
      used.map((id) => [t.idToToken(id), { id: t.idToToken(id), ids: [id], tokens: [t.idToToken(id)] }]),
    ),
  };
}
