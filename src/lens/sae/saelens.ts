// SAEs on disk in SAELens's layout: a folder with cfg.json (architecture, d_in, d_sae, hook_name, k,
// apply_b_dec_to_input, ...) and sae_weights.safetensors (W_enc, b_enc, W_dec, b_dec, and threshold for
// JumpReLU), so `SAE.load_from_disk(folder)` reads what jielong writes and jielong reads what SAELens
// saves. Written atomically; a folder that is not one is named with the file and field at fault.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadSafetensors,
  type SafetensorsTensor,
  serializeSafetensors,
  writeDirAtomic,
} from '../../io/index.js';
import { Tensor } from '../../tensor/index.js';
import { SAE_ARCHITECTURES, type SaeConfig, SparseAutoencoder } from './sae.js';

export const SAE_CONFIG_FILE = 'cfg.json';
export const SAE_WEIGHTS_FILE = 'sae_weights.safetensors';

/** cfg.json as SAELens writes it: the fields jielong uses, and the ones SAELens's loader expects. */
function configJson(cfg: SaeConfig): Record<string, unknown> {
  return {
    architecture: cfg.architecture,
    d_in: cfg.d_in,
    d_sae: cfg.d_sae,
    dtype: 'float32',
    device: 'cpu',
    hook_name: cfg.hook_name,
    apply_b_dec_to_input: cfg.apply_b_dec_to_input,
    normalize_activations: 'none',
    ...(cfg.architecture === 'topk' ? { k: cfg.k } : {}),
  };
}

export function saveSae(sae: SparseAutoencoder, dir: string): void {
  const tensors = new Map<string, SafetensorsTensor>(sae.namedParameters());
  writeDirAtomic(dir, {
    [SAE_CONFIG_FILE]: `${JSON.stringify(configJson(sae.cfg), null, 2)}\n`,
    [SAE_WEIGHTS_FILE]: serializeSafetensors(tensors),
  });
}

export function loadSae(dir: string): SparseAutoencoder {
  const cfgPath = join(dir, SAE_CONFIG_FILE);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new Error(`${cfgPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not JSON'}`);
  }
  const field = <T>(name: string, ok: (v: unknown) => boolean, what: string, fallback?: T): T => {
    const v = raw[name] ?? fallback;
    if (!ok(v)) throw new Error(`${cfgPath}: ${name} must be ${what}, got ${JSON.stringify(raw[name])}`);
    return v as T;
  };
  const positive = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const architecture = field<SaeConfig['architecture']>(
    'architecture',
    (v) => SAE_ARCHITECTURES.includes(v as never),
    `one of ${SAE_ARCHITECTURES.join(', ')}`,
    'standard',
  );
  // Other normalisations rescale inputs by statistics jielong does not keep: refused, not misread.
  field('normalize_activations', (v) => v === 'none', '"none"', 'none');
  const cfg: SaeConfig = {
    architecture,
    d_in: field('d_in', positive, 'a positive integer'),
    d_sae: field('d_sae', positive, 'a positive integer'),
    hook_name: field('hook_name', (v) => typeof v === 'string' && v.length > 0, 'a hook point name'),
    apply_b_dec_to_input: field('apply_b_dec_to_input', (v) => typeof v === 'boolean', 'true or false', true),
    ...(architecture === 'topk' ? { k: field<number>('k', positive, 'a positive integer') } : {}),
  };
  const sae = new SparseAutoencoder(cfg);
  const weightsPath = join(dir, SAE_WEIGHTS_FILE);
  const { tensors } = loadSafetensors(weightsPath);
  const wanted = new Map(sae.namedParameters());
  for (const [name, p] of wanted) {
    const t = tensors.get(name);
    if (!t)
      throw new Error(
        `${weightsPath}: no tensor ${name} (a ${architecture} SAE has ${[...wanted.keys()].join(', ')})`,
      );
    if (!(t instanceof Tensor)) throw new Error(`${weightsPath}: ${name} holds integers, expected floats`);
    if (t.shape.join() !== p.shape.join())
      throw new Error(`${weightsPath}: ${name} has shape [${t.shape}], cfg.json implies [${p.shape}]`);
    p.data.set(t.data);
  }
  for (const name of tensors.keys())
    if (!wanted.has(name))
      throw new Error(`${weightsPath}: unexpected tensor ${name} for a ${architecture} SAE`);
  return sae;
}
