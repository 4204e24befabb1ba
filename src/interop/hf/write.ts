// Writing a Hugging Face folder that transformers loads with from_pretrained: config.json,
// model.safetensors (HF's names and orientations), tokenizer.json, tokenizer_config.json and
// generation_config.json, replaced atomically as a whole.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { serializeSafetensors, writeDirAtomic } from '../../io/index.js';
import type { LanguageModel } from '../../model/index.js';
import type { Tensor } from '../../tensor/index.js';
import { type Tokenizer, type TokenizerConfig, tokenString } from '../../tokenizer/index.js';
import { nonFiniteParameter } from '../../train/index.js';
import type { ModelParts } from '../model-parts.js';
import { exportFamily, hfConfigJson, type TokenIds } from './config.js';
import { mappingOf, toHF } from './weights.js';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** bos and eos ids from tokenizer_config.json's tokens, when the tokenizer has them. */
function tokenIds(tokenizer: Tokenizer, config: TokenizerConfig | null | undefined): TokenIds {
  const id = (t: TokenizerConfig['bos_token']) => {
    const s = tokenString(t);
    return s === null ? null : (tokenizer.tokenToId(s) ?? null);
  };
  return { bos: id(config?.bos_token), eos: id(config?.eos_token) };
}

/** The state dict in HF's names and orientations. */
export function hfStateDict(model: LanguageModel): Map<string, Tensor> {
  const family = exportFamily(model.config);
  const all = { qkv: true, o: true, mlp: true };
  return new Map(model.namedParameters().flatMap(([name, p]) => toHF(mappingOf(name, family, all), p)));
}

/**
 * Writes `parts` as a Hugging Face folder at `dir` (replacing it whole): GPT2LMHeadModel for layernorm
 * models, LlamaForCausalLM for rmsnorm ones. A model no HF architecture here can express is an error naming
 * the config field. The checkpoint's tokenizer_config.json is kept as it is (the chat template travels
 * with the model); without one, a minimal one is written.
 */
export function exportHF(parts: ModelParts, dir: string): void {
  const { model, tokenizer } = parts;
  const config = model.config;
  const family = exportFamily(config);
  const bad = nonFiniteParameter(model);
  if (bad) throw new Error(`exportHF: ${bad} holds NaN or infinite values; nothing was written`);
  if (tokenizer.vocabSize > config.vocabSize)
    throw new Error(
      `exportHF: the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${config.vocabSize}`,
    );
  const ids = tokenIds(tokenizer, parts.tokenizerConfig);
  const tokenizerConfig = parts.tokenizerConfig ?? {
    tokenizer_class: 'PreTrainedTokenizerFast',
    model_max_length: config.blockSize,
  };
  const generation = { _from_model_config: true, bos_token_id: ids.bos, eos_token_id: ids.eos };
  mkdirSync(dirname(dir), { recursive: true });
  writeDirAtomic(dir, {
    'config.json': json(hfConfigJson(config, family, ids)),
    'model.safetensors': serializeSafetensors(hfStateDict(model), { format: 'pt' }),
    'tokenizer.json': json(tokenizer.toJSON()),
    'tokenizer_config.json': json(tokenizerConfig),
    'generation_config.json': json(generation),
  });
}
