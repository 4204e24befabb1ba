// The tokenizer as GGUF metadata and back. jielong's byte-level BPE is llama.cpp's "gpt2" tokenizer model
// (the tokens as the vocabulary spells them, merges as "left right", GPT-2's split pattern, pre "gpt-2");
// special tokens are CONTROL tokens. A model whose embedding has more rows than the tokenizer has ids gets
// the rest as UNUSED "[PAD<id>]" tokens (llama.cpp wants one token per row), which import drops again.
// tokenizer_config.json's chat template, bos and eos travel as tokenizer.chat_template and the ids.
// Character tokenizers have no GGUF form llama.cpp reads and are refused; so are tokenizer kinds jielong
// has no exact counterpart for (SentencePiece "llama", other pre-tokenizers), unless the caller brings one.
import { type GGUFValue, gguf, type MetadataReader } from '../../io/index.js';
import {
  ByteLevelBPE,
  type MergePair,
  SentencePieceBPE,
  type Tokenizer,
  type TokenizerConfig,
  tokenString,
} from '../../tokenizer/index.js';

/** llama.cpp's token types. */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;
const PRE = 'gpt-2';
const pad = (id: number) => `[PAD${id}]`;

/** tokenizer.* metadata for a model of `vocabSize` rows. */
export function tokenizerMetadata(
  tokenizer: Tokenizer,
  tokenizerConfig: TokenizerConfig | null,
  vocabSize: number,
): [string, GGUFValue][] {
  if (!(tokenizer instanceof ByteLevelBPE)) {
    throw new Error(
      `GGUF export: a ${tokenizer.kind} tokenizer has no GGUF form llama.cpp reads; GGUF carries byte-level BPE (train with --tokenizer bpe)`,
    );
  }
  if (tokenizer.vocabSize > vocabSize)
    throw new Error(
      `GGUF export: the tokenizer has ${tokenizer.vocabSize} tokens, the model ${vocabSize} rows`,
    );
  const tokens: string[] = [];
  const types: number[] = [];
  for (let id = 0; id < vocabSize; id++) {
    const inVocab = id < tokenizer.vocabSize;
    const token = inVocab ? tokenizer.idToToken(id) : pad(id);
    tokens.push(token);
    types.push(
      !inVocab
        ? TOKEN_TYPE.unused
        : tokenizer.specialTokens.has(token)
          ? TOKEN_TYPE.control
          : TOKEN_TYPE.normal,
    );
  }
  const entries: [string, GGUFValue][] = [
    ['tokenizer.ggml.model', gguf.string('gpt2')],
    ['tokenizer.ggml.pre', gguf.string(PRE)],
    ['tokenizer.ggml.tokens', gguf.array('string', tokens)],
    ['tokenizer.ggml.token_type', gguf.array('i32', types)],
    [
      'tokenizer.ggml.merges',
      gguf.array(
        'string',
        tokenizer.merges.map(([a, b]) => `${a} ${b}`),
      ),
    ],
  ];
  const special = (key: 'bos' | 'eos') => {
    const name = tokenizerConfig ? tokenString(tokenizerConfig[`${key}_token`]) : null;
    const id = tokenizer.specialTokens.get(name ?? '<|endoftext|>');
    if (id !== undefined) entries.push([`tokenizer.ggml.${key}_token_id`, gguf.u32(id)]);
    else if (name !== null)
      throw new Error(
        `GGUF export: tokenizer_config.json's ${key}_token ${JSON.stringify(name)} is no special token`,
      );
  };
  special('bos');
  special('eos');
  entries.push(['tokenizer.ggml.add_bos_token', gguf.bool(tokenizerConfig?.add_bos_token ?? false)]);
  entries.push(...chatTemplates(tokenizerConfig));
  return entries;
}

/** The default template as tokenizer.chat_template, named ones as tokenizer.chat_template.<name>. */
function chatTemplates(config: TokenizerConfig | null): [string, GGUFValue][] {
  const t = config?.chat_template;
  if (t === undefined) return [];
  if (typeof t === 'string') return [['tokenizer.chat_template', gguf.string(t)]];
  const named = t.filter((x) => x.name !== 'default');
  return [
    ...t
      .filter((x) => x.name === 'default')
      .map((x): [string, GGUFValue] => ['tokenizer.chat_template', gguf.string(x.template)]),
    ...named.map((x): [string, GGUFValue] => [`tokenizer.chat_template.${x.name}`, gguf.string(x.template)]),
    [
      'tokenizer.chat_templates',
      gguf.array(
        'string',
        named.map((x) => x.name),
      ),
    ],
  ];
}

/** The tokenizer a file's metadata describes, when jielong has its exact counterpart. */
export function tokenizerFromMetadata(meta: MetadataReader): ByteLevelBPE | SentencePieceBPE {
  const model = meta.string('tokenizer.ggml.model');
  const pre = meta.string('tokenizer.ggml.pre');
  const fix = 'pass { tokenizer } (e.g. loadTokenizer on its tokenizer.json) to import the weights';
  if (model === 'llama') return sentencePieceFromMetadata(meta);
  if (model !== 'gpt2') {
    throw new Error(
      `${meta.source}: tokenizer.ggml.model ${JSON.stringify(model ?? null)} is not one jielong reads ("gpt2", byte-level BPE, or "llama", SentencePiece BPE); ${fix}`,
    );
  }
  if (pre !== undefined && pre !== PRE) {
    throw new Error(
      `${meta.source}: tokenizer.ggml.pre ${JSON.stringify(pre)} splits text differently from GPT-2's pattern, which jielong's BPE uses; ${fix}`,
    );
  }
  const tokens = meta.array('tokenizer.ggml.tokens', ['string']) as string[] | undefined;
  if (!tokens) throw new Error(`${meta.source}: metadata tokenizer.ggml.tokens is missing`);
  const types = (meta.array('tokenizer.ggml.token_type', ['i32', 'u32']) ?? []) as number[];
  const typeOf = (id: number) => types[id] ?? TOKEN_TYPE.normal;
  let size = tokens.length;
  while (size > 0 && typeOf(size - 1) === TOKEN_TYPE.unused && tokens[size - 1] === pad(size - 1)) size--;
  const vocab = new Map<string, number>();
  const specials = new Map<string, number>();
  for (let id = 0; id < size; id++) {
    const type = typeOf(id);
    if (type === TOKEN_TYPE.normal) vocab.set(tokens[id], id);
    else if (type === TOKEN_TYPE.control || type === TOKEN_TYPE.userDefined) specials.set(tokens[id], id);
    else
      throw new Error(
        `${meta.source}: token ${id} (${JSON.stringify(tokens[id])}) has type ${type}, which byte-level BPE has no place for`,
      );
  }
  const merges = (meta.array('tokenizer.ggml.merges', ['string']) ?? []).map((m, i): MergePair => {
    const parts = (m as string).split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1])
      throw new Error(`${meta.source}: tokenizer.ggml.merges[${i}] ${JSON.stringify(m)} is not "left right"`);
    return [parts[0], parts[1]];
  });
  try {
    return new ByteLevelBPE(vocab, merges, specials);
  } catch (e) {
    throw new Error(`${meta.source}: ${(e as Error).message}`);
  }
}

/**
 * llama.cpp's "llama" tokenizer, SentencePiece BPE: tokens with scores (the higher merges first) and
 * types, no merge list, and the ids of bos, eos and unk.
 */
function sentencePieceFromMetadata(meta: MetadataReader): SentencePieceBPE {
  const tokens = meta.array('tokenizer.ggml.tokens', ['string']) as string[] | undefined;
  if (!tokens) throw new Error(`${meta.source}: metadata tokenizer.ggml.tokens is missing`);
  const scores = meta.array('tokenizer.ggml.scores', ['f32', 'f64']) as number[] | undefined;
  if (!scores)
    throw new Error(
      `${meta.source}: metadata tokenizer.ggml.scores is missing (SentencePiece merges by them)`,
    );
  const types = (meta.array('tokenizer.ggml.token_type', ['i32', 'u32']) ??
    tokens.map(() => TOKEN_TYPE.normal)) as number[];
  try {
    return SentencePieceBPE.fromScores(tokens, scores, types, {
      bos: meta.number('tokenizer.ggml.bos_token_id') ?? null,
      eos: meta.number('tokenizer.ggml.eos_token_id') ?? null,
      unk: meta.number('tokenizer.ggml.unknown_token_id') ?? null,
      addBos: meta.bool('tokenizer.ggml.add_bos_token') ?? true,
      addEos: meta.bool('tokenizer.ggml.add_eos_token') ?? false,
      addSpacePrefix: meta.bool('tokenizer.ggml.add_space_prefix') ?? true,
    });
  } catch (e) {
    throw new Error(`${meta.source}: ${(e as Error).message}`);
  }
}

/** tokenizer_config.json's fields that the metadata holds, or null when it holds none. */
export function tokenizerConfigFromMetadata(meta: MetadataReader, tokens: Tokenizer): TokenizerConfig | null {
  const config: TokenizerConfig = {};
  const named = (meta.array('tokenizer.chat_templates', ['string']) ?? []) as string[];
  const main = meta.string('tokenizer.chat_template');
  if (named.length > 0) {
    config.chat_template = [
      ...(main === undefined ? [] : [{ name: 'default', template: main }]),
      ...named.map((name) => {
        const template = meta.string(`tokenizer.chat_template.${name}`);
        if (template === undefined)
          throw new Error(`${meta.source}: metadata tokenizer.chat_template.${name} is missing`);
        return { name, template };
      }),
    ];
  } else if (main !== undefined) config.chat_template = main;
  for (const key of ['bos', 'eos'] as const) {
    const id = meta.count(`tokenizer.ggml.${key}_token_id`, tokens.vocabSize - 1);
    if (id !== undefined) config[`${key}_token`] = tokens.idToToken(id);
  }
  const addBos = meta.bool('tokenizer.ggml.add_bos_token');
  if (addBos !== undefined) config.add_bos_token = addBos;
  return Object.keys(config).length > 0 ? config : null;
}
