// A GGUF file ("llama" or "gpt2" architecture) -> a jielong model, tokenizer and tokenizer config. The
// header is read and checked whole first (io/gguf.ts), then the tensors the metadata implies are
// compared name for name and shape for shape with the file's, and only then are weights decoded.
// Grouped-query attention (fewer key-value heads than query heads) becomes full multi-head attention
// with each key-value head repeated for the query heads that share it: the same function.
import { type GGUFHeader, MetadataReader, readGGUFHeader, readGGUFTensors } from '../../io/index.js';
import { LanguageModel, parameterShapes } from '../../model/index.js';
import { Tensor } from '../../tensor/index.js';
import type { Tokenizer, TokenizerConfig } from '../../tokenizer/index.js';
import { type ArchConfig, configFromMetadata, GGUF_ARCHS, type GGUFArch } from './arch.js';
import { permuteRotary, qkvNames, renames, repeatHeads } from './tensors.js';
import { tokenizerConfigFromMetadata, tokenizerFromMetadata } from './tokenizer.js';

export interface GGUFImport {
  arch: GGUFArch;
  model: LanguageModel;
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig | null;
}

export interface GGUFImportOptions {
  /**
   * The tokenizer to use instead of the file's: for files whose tokenizer jielong has no counterpart of
   * (SentencePiece "llama", pre-tokenizers other than GPT-2's), loaded from the model's tokenizer.json.
   */
  tokenizer?: Tokenizer;
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** GGUF tensor name to the row-major shape the config implies (llama's q, k, v: as stored, kv heads). */
function expectedTensors(arch: GGUFArch, { config: c, nHeadKv }: ArchConfig): Map<string, number[]> {
  const names = renames(arch, c.nLayer);
  const out = new Map<string, number[]>();
  for (const [name, shape] of parameterShapes(c)) {
    const renamed = names.get(name);
    if (renamed) out.set(renamed, shape);
  }
  if (arch === 'llama') {
    const kvRows = (c.nEmbd / c.nHead) * nHeadKv;
    for (let i = 0; i < c.nLayer; i++) {
      const t = qkvNames(i);
      out.set(t.q, [c.nEmbd, c.nEmbd]);
      out.set(t.k, [kvRows, c.nEmbd]);
      out.set(t.v, [kvRows, c.nEmbd]);
    }
  }
  return out;
}

function checkTensors(header: GGUFHeader, expected: Map<string, number[]>): void {
  const fail = (m: string): never => {
    throw new Error(`${header.path}: ${m}`);
  };
  for (const [name, shape] of expected) {
    const got = header.tensors.get(name);
    if (!got) fail(`has no tensor ${name}, which its metadata implies`);
    else if (got.shape.join() !== shape.join())
      fail(`tensor ${name} has shape ${fmt(got.shape)} but the metadata implies ${fmt(shape)}`);
  }
  for (const name of header.tensors.keys())
    if (!expected.has(name)) fail(`holds tensor ${name}, which jielong's model has no place for`);
}

function archOfFile(meta: MetadataReader): GGUFArch {
  const arch = meta.string('general.architecture');
  if (!GGUF_ARCHS.includes(arch as GGUFArch)) {
    throw new Error(
      `${meta.source}: architecture ${JSON.stringify(arch ?? null)} is not one jielong reads (${GGUF_ARCHS.join(', ')})`,
    );
  }
  return arch as GGUFArch;
}

/** The vocabulary size and tying the tensors say, before the config is built from them. */
function fromTensors(header: GGUFHeader): { vocabSize: number; tied: boolean } {
  const shape = header.tensors.get('token_embd.weight')?.shape;
  if (shape?.length !== 2) throw new Error(`${header.path}: has no 2-D tensor token_embd.weight`);
  return { vocabSize: shape[0], tied: !header.tensors.has('output.weight') };
}

/** Reads a GGUF file into a jielong model, its tokenizer and tokenizer config. */
export function importGGUF(path: string, options: GGUFImportOptions = {}): GGUFImport {
  const header = readGGUFHeader(path);
  const meta = new MetadataReader(header.metadata, path);
  const arch = archOfFile(meta);
  const shapes = configFromMetadata(arch, meta, fromTensors(header));
  const c = shapes.config;
  checkTensors(header, expectedTensors(arch, shapes));
  const tokenizer = options.tokenizer ?? tokenizerFromMetadata(meta);
  if (tokenizer.vocabSize > c.vocabSize)
    throw new Error(
      `${path}: the tokenizer has ${tokenizer.vocabSize} tokens, the model ${c.vocabSize} rows`,
    );
  const tokenizerConfig = tokenizerConfigFromMetadata(meta, tokenizer);

  const names = renames(arch, c.nLayer);
  const state = new Map<string, Tensor>();
  const renamed = [...parameterShapes(c).keys()].filter((name) => names.has(name));
  readGGUFTensors(
    header,
    renamed.map((name) => names.get(name)!),
  ).forEach((t, i) => {
    state.set(renamed[i], t);
  });
  if (arch === 'llama') {
    for (let i = 0; i < c.nLayer; i++) {
      const t = qkvNames(i);
      const [q, k, v] = readGGUFTensors(header, [t.q, t.k, t.v]).map((x) => x.data);
      const fused = new Float32Array(3 * c.nEmbd * c.nEmbd);
      fused.set(permuteRotary(q, c.nHead, c.nEmbd, false), 0);
      const kHeads = permuteRotary(k, shapes.nHeadKv, c.nEmbd, false);
      fused.set(repeatHeads(kHeads, shapes.nHeadKv, c.nHead), c.nEmbd * c.nEmbd);
      fused.set(repeatHeads(v, shapes.nHeadKv, c.nHead), 2 * c.nEmbd * c.nEmbd);
      state.set(t.fused, new Tensor(fused, [3 * c.nEmbd, c.nEmbd]));
    }
  }
  for (const [name, t] of state) {
    if (!t.data.every(Number.isFinite)) throw new Error(`${path}: ${name} holds NaN or infinite values`);
  }
  const model = new LanguageModel(c);
  model.loadStateDict(state);
  return { arch, model, tokenizer, tokenizerConfig };
}
