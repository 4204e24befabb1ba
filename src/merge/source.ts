// A model to merge, opened for reading one tensor at a time: a jielong checkpoint (its checksums checked
// first, by streaming), a Hugging Face folder (model.safetensors or shards), or a bare .safetensors file.
// Nothing but the headers is read when it opens, so models larger than memory can be merged.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hf } from '../interop/index.js';
import { recoverDirAtomic, SafetensorsFile, type SafetensorsTensor, type TensorInfo } from '../io/index.js';
import { verifyCheckpointFolder } from '../train/index.js';

/** The small files a merged folder takes from its base: the config, the tokenizer, the chat template. */
export const SIDE_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
] as const;

/** A block's tensors, by jielong's and GPT-2's `h.N.` and Llama's `layers.N.`. */
const LAYER = /^(.*?(?:^|\.)(?:h|layers|blocks)\.)(\d+)(\..+)$/;

/** Where a tensor sits in the stack of blocks: `${prefix}${layer}${rest}`, or null outside the blocks. */
export function layerOf(name: string): { prefix: string; layer: number; rest: string } | null {
  const m = LAYER.exec(name);
  return m ? { prefix: m[1], layer: Number(m[2]), rest: m[3] } : null;
}

export class ModelFolder {
  /** Every tensor's type and shape, in the files' order. */
  readonly tensors = new Map<string, TensorInfo>();
  /** The number of blocks (one more than the largest layer index in the names). */
  readonly layers: number;
  /** A jielong checkpoint (checkpoint.json): the merge is written as one too. */
  readonly jielong: boolean;
  private readonly holder = new Map<string, SafetensorsFile>();
  private readonly files: SafetensorsFile[] = [];

  private constructor(
    readonly path: string,
    weights: Map<string, TensorInfo & { file: string }> | null,
    jielong: boolean,
  ) {
    this.jielong = jielong;
    try {
      const paths = weights ? [...new Set([...weights.values()].map((w) => join(path, w.file)))] : [path];
      for (const p of paths) {
        const file = new SafetensorsFile(p);
        this.files.push(file);
        for (const [name, info] of file.tensors) {
          this.tensors.set(name, info);
          this.holder.set(name, file);
        }
      }
    } catch (e) {
      this.close();
      throw e;
    }
    let top = -1;
    for (const name of this.tensors.keys()) top = Math.max(top, layerOf(name)?.layer ?? -1);
    this.layers = top + 1;
  }

  /** `verify` (default true) checks a jielong checkpoint's files against checkpoint.json first. */
  static open(path: string, options: { verify?: boolean } = {}): ModelFolder {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) {
      if (recoverDirAtomic(path)) return ModelFolder.open(path, options);
      throw new Error(`merge: model ${path} does not exist`);
    }
    if (stat.isFile()) {
      if (!path.endsWith('.safetensors'))
        throw new Error(`merge: model ${path} is a file but not .safetensors (give a model folder)`);
      return new ModelFolder(path, null, false);
    }
    const jielong = existsSync(join(path, 'checkpoint.json'));
    if (jielong && options.verify !== false) verifyCheckpointFolder(path);
    return new ModelFolder(path, hf.hfWeightHeaders(path), jielong);
  }

  /** One tensor, read from its file now (floats as float32, integers as int32). */
  read(name: string): SafetensorsTensor {
    const file = this.holder.get(name);
    if (!file) throw new Error(`merge: model ${this.path} has no tensor ${name}`);
    return file.read(name);
  }

  /** A small file beside the weights (config, tokenizer), or undefined when the model has none. */
  sideFile(name: (typeof SIDE_FILES)[number]): Buffer | undefined {
    if (!statSync(this.path).isDirectory()) return undefined;
    const p = join(this.path, name);
    return existsSync(p) ? readFileSync(p) : undefined;
  }

  close(): void {
    for (const f of this.files.splice(0)) f.close();
  }
}
