// config.json both ways: Hugging Face's keys for GPT-2 and the Llama family against jielong's ModelConfig.
// Export refuses, naming the field, a model no HF architecture here expresses; import refuses, naming the
// key, anything that would make jielong compute something other than what transformers computes.
import { CONFIG_LIMITS, type ModelConfig, mixerOf, mlpHidden, validateConfig } from '../../model/config.js';

/** The architectures read and written, by their `architectures` name, and the family each belongs to. */
export const HF_ARCHITECTURES = {
  GPT2LMHeadModel: 'gpt2',
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
} as const;
export type HFFamily = (typeof HF_ARCHITECTURES)[keyof typeof HF_ARCHITECTURES];

/** Which bias tensors an HF file of the Llama family holds (jielong's biases are all or none). */
export interface HFBiases {
  qkv: boolean;
  o: boolean;
  mlp: boolean;
}

/** What a config.json describes: jielong's config plus what jielong's layers have no field for. */
export interface HFModel {
  family: HFFamily;
  config: ModelConfig;
  /** HF's num_key_value_heads: fewer than nHead is grouped-query attention, expanded on import. */
  kvHeads: number;
  biases: HFBiases;
}

type Json = Record<string, unknown>;

/** Errors name the file (its path) and the key. */
class Keys {
  constructor(
    readonly raw: Json,
    readonly source: string,
  ) {}

  fail(key: string, message: string): never {
    throw new Error(`${this.source}: ${key} ${message}, got ${JSON.stringify(this.raw[key]) ?? 'nothing'}`);
  }

  /** A size: required, a positive integer up to `max` (checked before anything is allocated). */
  size(key: string, max: number): number {
    const v = this.raw[key];
    if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > max)
      this.fail(key, `must be a positive integer up to ${max}`);
    return v as number;
  }

  /** An optional size: absent or null gives `fallback`. */
  optionalSize(key: string, max: number, fallback: number): number {
    return this.raw[key] === undefined || this.raw[key] === null ? fallback : this.size(key, max);
  }

  /** Without a fallback the key is required. */
  positive(key: string, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(key, 'must be a positive number');
    return v;
  }

  flag(key: string, fallback: boolean): boolean {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(key, 'must be true or false');
    return v;
  }

  /** A key that changes the computation in a way jielong does not follow must hold its harmless value. */
  mustBe(key: string, harmless: unknown, why: string): void {
    const v = this.raw[key] ?? harmless;
    if (v !== harmless) this.fail(key, `must be ${JSON.stringify(harmless)} (${why})`);
  }

  oneOf(key: string, allowed: readonly string[], fallback: string): string {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'string' || !allowed.includes(v))
      this.fail(key, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    return v;
  }
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The family from `architectures` (what transformers instantiates), else from `model_type`. */
function familyOf(k: Keys): HFFamily {
  const known = Object.keys(HF_ARCHITECTURES).join(', ');
  const archs = k.raw.architectures;
  if (archs !== undefined && archs !== null) {
    if (!Array.isArray(archs) || archs.length !== 1 || !(archs[0] in HF_ARCHITECTURES))
      k.fail('architectures', `must name one architecture jielong reads (${known})`);
    return HF_ARCHITECTURES[archs[0] as keyof typeof HF_ARCHITECTURES];
  }
  const families: readonly string[] = Object.values(HF_ARCHITECTURES);
  if (typeof k.raw.model_type !== 'string' || !families.includes(k.raw.model_type))
    k.fail(
      'model_type',
      `must be one of ${families.join(', ')} when there is no architectures key (${known})`,
    );
  return k.raw.model_type as HFFamily;
}

/** Reads a parsed config.json; `source` names it in errors. */
export function readHFConfig(raw: unknown, source: string): HFModel {
  if (!isObject(raw)) throw new Error(`${source}: must be a JSON object`);
  const k = new Keys(raw, source);
  const family = familyOf(k);
  const vocabSize = k.size('vocab_size', CONFIG_LIMITS.vocabSize);
  const model = family === 'gpt2' ? gpt2Config(k, vocabSize) : llamaConfig(k, family, vocabSize);
  try {
    validateConfig(model.config);
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message.replace(/^model config: /, '')}`);
  }
  return { ...model, family };
}

function gpt2Config(k: Keys, vocabSize: number): Omit<HFModel, 'family'> {
  const nEmbd = k.size('n_embd', CONFIG_LIMITS.nEmbd);
  const nHead = k.size('n_head', CONFIG_LIMITS.nHead);
  if (nEmbd % nHead !== 0) k.fail('n_embd', `must be divisible by n_head ${nHead}`);
  // transformers' gelu_new and gelu_pytorch_tanh are both the tanh approximation jielong's MLP computes.
  k.oneOf('activation_function', ['gelu_new', 'gelu_pytorch_tanh'], 'gelu_new');
  k.mustBe('scale_attn_weights', true, 'jielong scales attention scores by 1/sqrt(head size)');
  k.mustBe('scale_attn_by_inverse_layer_idx', false, 'jielong does not scale scores by layer');
  k.mustBe('add_cross_attention', false, 'jielong models are decoder-only');
  const config: ModelConfig = {
    vocabSize,
    blockSize:
      k.raw.n_positions === undefined
        ? k.size('n_ctx', CONFIG_LIMITS.blockSize)
        : k.size('n_positions', CONFIG_LIMITS.blockSize),
    nLayer: k.size('n_layer', CONFIG_LIMITS.nLayer),
    nHead,
    nEmbd,
    mlp: 'gelu',
    mlpHidden: k.optionalSize('n_inner', CONFIG_LIMITS.mlpHidden, 4 * nEmbd),
    norm: 'layernorm',
    normEps: k.positive('layer_norm_epsilon', 1e-5),
    positions: 'learned',
    ropeTheta: 10000,
    bias: true,
    // GPT2LMHeadModel ties unless told not to (PretrainedConfig's default).
    tieEmbeddings: k.flag('tie_word_embeddings', true),
    dropout: 0,
    mixer: 'attention',
  };
  return { config, kvHeads: nHead, biases: { qkv: true, o: true, mlp: true } };
}

/**
 * The rotary base and scaling: rope_theta and rope_scaling, or (transformers 5) both in rope_parameters.
 * Scalings that change only the frequencies (linear, llama3) are read; the others (dynamic, yarn, longrope
 * also scale attention or depend on the sequence length) are refused by name.
 */
function rope(k: Keys): Pick<ModelConfig, 'ropeTheta' | 'ropeScaling'> {
  const key = k.raw.rope_scaling != null ? 'rope_scaling' : 'rope_parameters';
  const raw = k.raw[key];
  if (raw === undefined || raw === null) return { ropeTheta: k.positive('rope_theta', 10000) };
  if (!isObject(raw)) k.fail(key, 'must be an object');
  const s = new Keys(raw, `${k.source}: ${key}`);
  const ropeTheta =
    key === 'rope_parameters' ? s.positive('rope_theta', 10000) : k.positive('rope_theta', 10000);
  // transformers 4.45 on writes rope_type; older files, type.
  const typeKey = raw.rope_type === undefined ? 'type' : 'rope_type';
  const type = s.oneOf(typeKey, ['default', 'linear', 'llama3'], 'default');
  if (type === 'default') return { ropeTheta };
  const factor = s.positive('factor');
  if (type === 'linear') return { ropeTheta, ropeScaling: { type, factor } };
  return {
    ropeTheta,
    ropeScaling: {
      type: 'llama3',
      factor,
      lowFreqFactor: s.positive('low_freq_factor'),
      highFreqFactor: s.positive('high_freq_factor'),
      originalContext: s.size('original_max_position_embeddings', CONFIG_LIMITS.blockSize),
    },
  };
}

/** rope_scaling as transformers writes it. */
function ropeScalingJson(c: ModelConfig): Json | null {
  const s = c.ropeScaling;
  if (!s) return null;
  if (s.type === 'linear') return { rope_type: 'linear', factor: s.factor };
  return {
    rope_type: 'llama3',
    factor: s.factor,
    low_freq_factor: s.lowFreqFactor,
    high_freq_factor: s.highFreqFactor,
    original_max_position_embeddings: s.originalContext,
  };
}

/** Qwen2 has biases on q, k, v only; Llama on attention and MLP when its flags say so; Mistral none. */
function biasesOf(k: Keys, family: HFFamily): HFBiases {
  if (family === 'qwen2') return { qkv: true, o: false, mlp: false };
  if (family !== 'llama') return { qkv: false, o: false, mlp: false };
  const attention = k.flag('attention_bias', false);
  return { qkv: attention, o: attention, mlp: k.flag('mlp_bias', false) };
}

function llamaConfig(k: Keys, family: HFFamily, vocabSize: number): Omit<HFModel, 'family'> {
  const nEmbd = k.size('hidden_size', CONFIG_LIMITS.nEmbd);
  const nHead = k.size('num_attention_heads', CONFIG_LIMITS.nHead);
  if (nEmbd % nHead !== 0) k.fail('hidden_size', `must be divisible by num_attention_heads ${nHead}`);
  const kvHeads = k.optionalSize('num_key_value_heads', nHead, nHead);
  if (nHead % kvHeads !== 0) k.fail('num_key_value_heads', `must divide num_attention_heads ${nHead}`);
  if (k.raw.head_dim !== undefined && k.raw.head_dim !== null && k.raw.head_dim !== nEmbd / nHead)
    k.fail('head_dim', `must be hidden_size / num_attention_heads = ${nEmbd / nHead} (jielong's head size)`);
  k.oneOf('hidden_act', ['silu'], 'silu');
  let blockSize = k.size('max_position_embeddings', CONFIG_LIMITS.blockSize);
  // Mistral attends within a sliding window; up to the window that is full causal attention, so the
  // context stops there and every sequence jielong runs is computed as transformers computes it.
  const window = family === 'mistral' || k.raw.use_sliding_window === true ? k.raw.sliding_window : null;
  if (window !== undefined && window !== null)
    blockSize = Math.min(blockSize, k.size('sliding_window', CONFIG_LIMITS.blockSize));
  const biases = biasesOf(k, family);
  const config: ModelConfig = {
    vocabSize,
    blockSize,
    nLayer: k.size('num_hidden_layers', CONFIG_LIMITS.nLayer),
    nHead,
    nEmbd,
    mlp: 'swiglu',
    mlpHidden: k.size('intermediate_size', CONFIG_LIMITS.mlpHidden),
    norm: 'rmsnorm',
    normEps: k.positive('rms_norm_eps', 1e-6),
    positions: 'rope',
    ...rope(k),
    // jielong's biases are all or none: a file with some (Qwen2's q, k, v) loads with the rest zero.
    bias: biases.qkv || biases.o || biases.mlp,
    tieEmbeddings: k.flag('tie_word_embeddings', false),
    dropout: 0,
    mixer: 'attention',
  };
  return { config, kvHeads, biases };
}

/** Special token ids that config.json and generation_config.json carry. */
export interface TokenIds {
  bos: number | null;
  eos: number | null;
}

/**
 * The architecture a jielong config exports as: layernorm models as GPT-2, rmsnorm ones as Llama. A field
 * the target cannot hold is an error naming it.
 */
export function exportFamily(c: ModelConfig): 'gpt2' | 'llama' {
  for (let i = 0; i < c.nLayer; i++) {
    if (mixerOf(c, i) !== 'attention')
      throw new Error(
        `exportHF: config.mixer of layer ${i} is "${mixerOf(c, i)}"; Hugging Face's GPT-2 and Llama have attention only`,
      );
  }
  const family = c.norm === 'layernorm' ? 'gpt2' : 'llama';
  const needs: [keyof ModelConfig, unknown][] =
    family === 'gpt2'
      ? [
          ['mlp', 'gelu'],
          ['positions', 'learned'],
          ['bias', true],
        ]
      : [
          ['mlp', 'swiglu'],
          ['positions', 'rope'],
        ];
  for (const [field, value] of needs) {
    if (c[field] !== value)
      throw new Error(
        `exportHF: config.${field} is ${JSON.stringify(c[field])}, but a ${c.norm} model exports as ${family === 'gpt2' ? 'GPT2LMHeadModel' : 'LlamaForCausalLM'}, which needs ${JSON.stringify(value)}`,
      );
  }
  return family;
}

/** config.json for transformers: the model `c` in the family's own keys. */
export function hfConfigJson(c: ModelConfig, family: 'gpt2' | 'llama', ids: TokenIds): Json {
  const common = {
    vocab_size: c.vocabSize,
    tie_word_embeddings: c.tieEmbeddings,
    bos_token_id: ids.bos,
    eos_token_id: ids.eos,
    initializer_range: 0.02,
    use_cache: true,
    torch_dtype: 'float32',
  };
  if (family === 'gpt2') {
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      n_positions: c.blockSize,
      n_ctx: c.blockSize,
      n_embd: c.nEmbd,
      n_layer: c.nLayer,
      n_head: c.nHead,
      n_inner: mlpHidden(c),
      activation_function: 'gelu_new',
      layer_norm_epsilon: c.normEps,
      resid_pdrop: c.dropout,
      embd_pdrop: c.dropout,
      attn_pdrop: c.dropout,
      scale_attn_weights: true,
      ...common,
    };
  }
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: c.nEmbd,
    intermediate_size: mlpHidden(c),
    num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead,
    // jielong's attention is full multi-head: as many key/value heads as query heads.
    num_key_value_heads: c.nHead,
    head_dim: c.nEmbd / c.nHead,
    max_position_embeddings: c.blockSize,
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    rope_scaling: ropeScalingJson(c),
    hidden_act: 'silu',
    attention_bias: c.bias,
    mlp_bias: c.bias,
    attention_dropout: c.dropout,
    ...common,
  };
}
