// LoRA (Hu et al.): fine-tune a frozen model through a low-rank path beside chosen linear layers,
//   y = W x + b + (α / r) · B A dropout(x),   A: [r, in] (PyTorch's Linear init), B: [out, r] = 0,
// so training starts from the base exactly and learns r·(in + out) numbers per layer instead of in·out.
// Saved in PEFT's layout (adapter_config.json, adapter_model.safetensors with base_model.model.<module>.
// lora_A.weight), so PEFT loads it onto the model's Hugging Face export; merged into the weights on request
// (W += (α / r) B A), after which the model is an ordinary checkpoint again.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { hf } from '../interop/index.js';
import { loadSafetensors, serializeSafetensors, writeDirAtomic } from '../io/index.js';
import type { LanguageModel } from '../model/index.js';
import { Linear } from '../nn/index.js';
import { Generator, matmul, noGrad, Tensor } from '../tensor/index.js';

export interface LoraConfig {
  /** The rank r of A and B. */
  r: number;
  /** α: the path is scaled by α / r (α / √r with `useRslora`). */
  alpha: number;
  /** Dropout on the path's input while training. */
  dropout: number;
  /** PEFT's target_modules: a module matches by its full name or its last parts (`c_attn`, `mlp.c_fc`). */
  targetModules: readonly string[] | 'all-linear';
  useRslora?: boolean;
}

export const DEFAULT_LORA: LoraConfig = { r: 8, alpha: 16, dropout: 0.05, targetModules: 'all-linear' };

/** Layers whose fast paths read the weight directly, around forward(): an adapter there would be skipped. */
const UNADAPTABLE = /(^|\.)dt_proj$/;

/** The parameters an adapter froze, to train again once it is merged. */
const FROZEN = new WeakMap<LanguageModel, Tensor[]>();

function freeze(model: LanguageModel): void {
  const params = model.parameters();
  for (const p of params) p.requiresGrad = false;
  FROZEN.set(model, params);
}

const scalingOf = (c: LoraConfig) => (c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r);

/** The linear layers `targets` picks, by name; 'all-linear' is every one inside the blocks (not the head). */
export function loraTargets(model: LanguageModel, targets: LoraConfig['targetModules']): [string, Linear][] {
  const linears = model
    .namedModules()
    .filter((e): e is [string, Linear] => e[1] instanceof Linear && !/(^|\.)lora_[AB]$/.test(e[0]));
  const picked =
    targets === 'all-linear'
      ? linears.filter(([name]) => /\.(h|layers)\.\d+\./.test(name) && !UNADAPTABLE.test(name))
      : linears.filter(([name]) => targets.some((t) => name === t || name.endsWith(`.${t}`)));
  if (picked.length === 0)
    throw new Error(
      `LoRA: target_modules ${JSON.stringify(targets)} match no linear layer (the model's: ${[
        ...new Set(linears.map(([n]) => n.split('.').pop())),
      ].join(', ')})`,
    );
  for (const [name] of picked)
    if (UNADAPTABLE.test(name))
      throw new Error(`LoRA: ${name} cannot take an adapter (its fast path reads the weight directly)`);
  return picked;
}

/**
 * Attaches fresh adapters (B = 0: the model computes exactly what it did) and freezes every other
 * parameter, so the trainer's optimizer sees only A and B. Returns the adapted layers' names.
 */
export function applyLoRA(model: LanguageModel, config: LoraConfig, generator = new Generator(0)): string[] {
  const bad = checkConfig(config);
  if (bad) throw new Error(`LoRA: ${bad}`);
  if (model.namedModules().some(([, m]) => m instanceof Linear && m.lora))
    throw new Error('LoRA: the model already has adapters (merge them first)');
  const targets = loraTargets(model, config.targetModules);
  freeze(model);
  for (const [, layer] of targets) {
    layer.lora_A = new Linear(layer.inFeatures, config.r, { bias: false, generator });
    layer.lora_B = new Linear(config.r, layer.outFeatures, { bias: false, generator });
    layer.lora_B.weight.data.fill(0);
    layer.lora = { scaling: scalingOf(config), dropout: config.dropout };
  }
  return targets.map(([n]) => n);
}

function checkConfig(c: LoraConfig): string | null {
  if (!Number.isInteger(c.r) || c.r < 1) return `r must be a positive integer, got ${c.r}`;
  if (!Number.isFinite(c.alpha) || c.alpha <= 0) return `alpha must be positive, got ${c.alpha}`;
  if (!(c.dropout >= 0 && c.dropout < 1)) return `dropout must be in [0, 1), got ${c.dropout}`;
  return null;
}

function adapted(model: LanguageModel): [string, Linear][] {
  return model
    .namedModules()
    .filter((e): e is [string, Linear] => e[1] instanceof Linear && e[1].lora !== null);
}

/** W += scaling · B A in every adapted layer; the adapters are removed and every parameter trains again. */
export function mergeLoRA(model: LanguageModel): number {
  const layers = adapted(model);
  noGrad(() => {
    for (const [, layer] of layers) {
      const delta = matmul(layer.lora_B!.weight, layer.lora_A!.weight).data;
      const w = layer.weight.data;
      const s = layer.lora!.scaling;
      for (let i = 0; i < w.length; i++) w[i] += s * delta[i];
      layer.lora_A = null;
      layer.lora_B = null;
      layer.lora = null;
    }
  });
  for (const p of FROZEN.get(model) ?? []) p.requiresGrad = true;
  FROZEN.delete(model);
  return layers.length;
}

const PREFIX = 'base_model.model.';

/** The adapters' tensors by PEFT's names. */
export function loraStateDict(model: LanguageModel): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, layer] of adapted(model)) {
    out.set(`${PREFIX}${name}.lora_A.weight`, layer.lora_A!.weight);
    out.set(`${PREFIX}${name}.lora_B.weight`, layer.lora_B!.weight);
  }
  return out;
}

/** adapter_config.json as PEFT reads it (the fields jielong sets; PEFT fills the rest with defaults). */
const ADAPTER_CONFIG = z.looseObject({
  peft_type: z.literal('LORA', { error: 'must be "LORA" (jielong reads LoRA adapters only)' }),
  r: z.number().int().min(1),
  lora_alpha: z.number().positive(),
  lora_dropout: z.number().min(0).max(0.999).default(0),
  target_modules: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
  use_rslora: z.boolean().default(false),
  bias: z.literal('none', { error: 'must be "none" (trained biases are not supported)' }).default('none'),
  rank_pattern: z
    .record(z.string(), z.unknown())
    .refine((r) => Object.keys(r).length === 0, 'per-layer ranks are not supported')
    .optional(),
  alpha_pattern: z
    .record(z.string(), z.unknown())
    .refine((r) => Object.keys(r).length === 0, 'per-layer alphas are not supported')
    .optional(),
  modules_to_save: z
    .union([z.null(), z.array(z.string()).max(0, 'fully trained modules are not supported')])
    .optional(),
  base_model_name_or_path: z.string().nullable().optional(),
});

/** Writes the adapters in PEFT's layout (atomically): adapter_config.json and adapter_model.safetensors. */
export function saveLoRA(
  dir: string,
  model: LanguageModel,
  config: LoraConfig,
  baseModel: string | null,
): void {
  const state = loraStateDict(model);
  if (state.size === 0) throw new Error('saveLoRA: the model has no adapters');
  let fanInFanOut = false;
  try {
    fanInFanOut = hf.exportFamily(model.config) === 'gpt2'; // GPT-2's Conv1D stores its weights [in, out]
  } catch {
    // not exportable to Hugging Face: PEFT will not load it there either way
  }
  const adapterConfig = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: config.r,
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    target_modules: config.targetModules === 'all-linear' ? 'all-linear' : [...config.targetModules],
    use_rslora: config.useRslora ?? false,
    fan_in_fan_out: fanInFanOut,
    bias: 'none',
    modules_to_save: null,
    inference_mode: true,
    init_lora_weights: true,
  };
  writeDirAtomic(dir, {
    'adapter_config.json': `${JSON.stringify(adapterConfig, null, 2)}\n`,
    'adapter_model.safetensors': serializeSafetensors(state, { format: 'pt' }),
  });
}

/**
 * Attaches the adapters saved in `dir` (PEFT's layout) to `model`, every name and shape checked against
 * the model's layers before anything changes; the base stays frozen, as after applyLoRA.
 */
export function loadLoRA(model: LanguageModel, dir: string): LoraConfig {
  const file = (name: string) => join(dir, name);
  if (!existsSync(file('adapter_config.json')))
    throw new Error(`LoRA adapter ${dir}: adapter_config.json is missing`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file('adapter_config.json'), 'utf8'));
  } catch (e) {
    throw new Error(`LoRA adapter ${dir}: adapter_config.json is not valid JSON (${(e as Error).message})`);
  }
  const parsed = ADAPTER_CONFIG.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `LoRA adapter ${dir}: adapter_config.json: ${issue.path.join('.') || 'the config'}: ${issue.message}`,
    );
  }
  const c = parsed.data;
  const config: LoraConfig = {
    r: c.r,
    alpha: c.lora_alpha,
    dropout: c.lora_dropout,
    targetModules:
      c.target_modules === 'all-linear'
        ? 'all-linear'
        : typeof c.target_modules === 'string'
          ? [c.target_modules]
          : c.target_modules,
    useRslora: c.use_rslora,
  };
  if (!existsSync(file('adapter_model.safetensors')))
    throw new Error(`LoRA adapter ${dir}: adapter_model.safetensors is missing`);
  const { tensors } = loadSafetensors(file('adapter_model.safetensors'));
  const layers = new Map(model.namedModules().filter((e): e is [string, Linear] => e[1] instanceof Linear));
  const pairs = new Map<string, { A?: Tensor; B?: Tensor }>();
  for (const [name, t] of tensors) {
    const m = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/.exec(name);
    const where = `LoRA adapter ${dir}: adapter_model.safetensors: ${name}`;
    if (!m)
      throw new Error(`${where} is not a LoRA weight (base_model.model.<module>.lora_A.weight or lora_B)`);
    const layer = layers.get(m[1]);
    if (!layer) throw new Error(`${where}: the model has no linear layer ${m[1]}`);
    if (!(t instanceof Tensor)) throw new Error(`${where} is not a float tensor`);
    const want = m[2] === 'A' ? [c.r, layer.inFeatures] : [layer.outFeatures, c.r];
    if (t.shape.join() !== want.join())
      throw new Error(
        `${where} is [${t.shape.join(', ')}], the layer needs [${want.join(', ')}] (r = ${c.r})`,
      );
    const pair = pairs.get(m[1]) ?? {};
    pair[m[2] as 'A' | 'B'] = t;
    pairs.set(m[1], pair);
  }
  if (pairs.size === 0)
    throw new Error(`LoRA adapter ${dir}: adapter_model.safetensors holds no LoRA weights`);
  for (const [name, pair] of pairs)
    if (!pair.A || !pair.B)
      throw new Error(`LoRA adapter ${dir}: ${name} has lora_${pair.A ? 'B' : 'A'} missing`);
  if (adapted(model).length) throw new Error('LoRA: the model already has adapters (merge them first)');
  freeze(model);
  for (const [name, { A, B }] of pairs) {
    const layer = layers.get(name)!;
    layer.lora_A = new Linear(layer.inFeatures, c.r, { bias: false });
    layer.lora_B = new Linear(c.r, layer.outFeatures, { bias: false });
    layer.lora_A.weight.data.set(A!.data);
    layer.lora_B.weight.data.set(B!.data);
    layer.lora = { scaling: scalingOf(config), dropout: config.dropout };
  }
  return config;
}
