// The two llama.cpp architectures a jielong model can be: "llama" (RMSNorm, SwiGLU, rotary positions, no
// biases) and "gpt2" (LayerNorm, tanh GELU, learned positions, biases), and their hyperparameters as GGUF
// metadata (`<arch>.block_count`, `<arch>.embedding_length`, ...).
import { type GGUFValue, gguf, type MetadataReader } from '../../io/index.js';
import { CONFIG_LIMITS, type ModelConfig, makeConfig, mlpHidden, type Preset } from '../../model/index.js';

export type GGUFArch = 'llama' | 'gpt2';
export const GGUF_ARCHS: readonly GGUFArch[] = ['llama', 'gpt2'];

// What each architecture's blocks are in llama.cpp; a jielong config must match one of them field for field.
const SHAPES: Record<GGUFArch, Partial<ModelConfig>> = {
  llama: { norm: 'rmsnorm', mlp: 'swiglu', positions: 'rope', bias: false, mixer: 'attention' },
  gpt2: { norm: 'layernorm', mlp: 'gelu', positions: 'learned', bias: true, mixer: 'attention' },
};

/** The architecture a config is, or an error naming the field that fits neither. */
export function archOf(config: ModelConfig): GGUFArch {
  const arch: GGUFArch = config.positions === 'rope' ? 'llama' : 'gpt2';
  for (const [field, want] of Object.entries(SHAPES[arch])) {
    const got = config[field as keyof ModelConfig];
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(
        `GGUF export: llama.cpp's "${arch}" architecture (the one for positions "${config.positions}") needs ${field} ${JSON.stringify(want)}, the model has ${JSON.stringify(got)}`,
      );
    }
  }
  return arch;
}

/** `<arch>.*` keys for a config. */
export function archMetadata(arch: GGUFArch, c: ModelConfig): [string, GGUFValue][] {
  const entries: [string, GGUFValue][] = [
    [`${arch}.context_length`, gguf.u32(c.blockSize)],
    [`${arch}.embedding_length`, gguf.u32(c.nEmbd)],
    [`${arch}.block_count`, gguf.u32(c.nLayer)],
    [`${arch}.feed_forward_length`, gguf.u32(mlpHidden(c))],
    [`${arch}.attention.head_count`, gguf.u32(c.nHead)],
  ];
  if (arch === 'gpt2') return [...entries, ['gpt2.attention.layer_norm_epsilon', gguf.f32(c.normEps)]];
  return [
    ...entries,
    ['llama.attention.head_count_kv', gguf.u32(c.nHead)],
    ['llama.attention.layer_norm_rms_epsilon', gguf.f32(c.normEps)],
    ['llama.rope.freq_base', gguf.f32(c.ropeTheta)],
    ['llama.rope.dimension_count', gguf.u32(c.nEmbd / c.nHead)],
    ['llama.vocab_size', gguf.u32(c.vocabSize)],
  ];
}

export interface ArchConfig {
  config: ModelConfig;
  /** Key-value heads (llama's grouped-query attention); import repeats them up to config.nHead. */
  nHeadKv: number;
}

/**
 * The jielong config a file's `<arch>.*` metadata describes, given what the tensors say (vocabulary size,
 * whether there is a separate output matrix). Sizes are bounded by jielong's config limits.
 */
export function configFromMetadata(
  arch: GGUFArch,
  meta: MetadataReader,
  from: { vocabSize: number; tied: boolean },
): ArchConfig {
  const key = (k: string) => `${arch}.${k}`;
  const nEmbd = meta.requiredCount(key('embedding_length'), CONFIG_LIMITS.nEmbd);
  const nHead = meta.requiredCount(key('attention.head_count'), CONFIG_LIMITS.nHead);
  const nHeadKv = meta.count(key('attention.head_count_kv'), CONFIG_LIMITS.nHead) ?? nHead;
  if (nHeadKv === 0 || nHead % nHeadKv !== 0)
    throw new Error(`${meta.source}: ${nHead} attention heads cannot share ${nHeadKv} key-value heads`);
  const eps = meta.number(
    key(arch === 'llama' ? 'attention.layer_norm_rms_epsilon' : 'attention.layer_norm_epsilon'),
  );
  const input = {
    preset: arch === 'llama' ? 'llama' : ('gpt2' as Preset),
    vocabSize: from.vocabSize,
    blockSize: meta.requiredCount(key('context_length'), CONFIG_LIMITS.blockSize),
    nLayer: meta.requiredCount(key('block_count'), CONFIG_LIMITS.nLayer),
    nHead,
    nEmbd,
    mlpHidden: meta.requiredCount(key('feed_forward_length'), CONFIG_LIMITS.mlpHidden),
    tieEmbeddings: from.tied,
    ...(eps === undefined ? {} : { normEps: eps }),
  };
  if (arch === 'llama') {
    const rotated = meta.count('llama.rope.dimension_count', CONFIG_LIMITS.nEmbd);
    if (nEmbd % nHead === 0 && rotated !== undefined && rotated !== nEmbd / nHead)
      throw new Error(
        `${meta.source}: rotary embedding on ${rotated} of each head's ${nEmbd / nHead} dims (jielong rotates them all)`,
      );
    const scaling = meta.string('llama.rope.scaling.type');
    if (scaling !== undefined && scaling !== 'none')
      throw new Error(`${meta.source}: rope scaling "${scaling}" is not supported`);
    const theta = meta.number('llama.rope.freq_base');
    if (theta !== undefined) Object.assign(input, { ropeTheta: theta });
  }
  let config: ModelConfig;
  try {
    config = makeConfig(input);
  } catch (e) {
    throw new Error(`${meta.source}: ${(e as Error).message}`);
  }
  // A width the preset's rule gives is left to the rule, as in a config jielong writes itself.
  if (mlpHidden({ ...config, mlpHidden: undefined }) === config.mlpHidden) delete config.mlpHidden;
  return { config, nHeadKv };
}
