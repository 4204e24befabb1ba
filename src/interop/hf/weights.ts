// Parameter names and orientations between jielong and Hugging Face. jielong's names are GPT-2's, but its
// Linear stores [out, in] (torch.nn.Linear) where GPT-2's Conv1D stores [in, out]: those transpose. Llama
// names differ and split jielong's fused c_attn into q_proj, k_proj and v_proj.
import { Tensor } from '../../tensor/index.js';
import type { HFBiases, HFFamily } from './config.js';

/**
 * How one jielong parameter is stored in HF's file: under another name as it is, transposed, as q, k, v
 * row blocks, or not at all (a bias the HF architecture lacks, zero in jielong).
 */
export type Mapping =
  | { kind: 'same'; hf: string }
  | { kind: 'transposed'; hf: string }
  | { kind: 'qkv'; hf: [q: string, k: string, v: string] }
  | { kind: 'zero' };

const CONV1D = /\.(c_attn|c_proj|c_fc)\.weight$/;

const LLAMA_NAMES: [RegExp, string][] = [
  [/^transformer\.wte\.weight$/, 'model.embed_tokens.weight'],
  [/^transformer\.ln_f\.weight$/, 'model.norm.weight'],
  [/^lm_head\.weight$/, 'lm_head.weight'],
  [/^transformer\.h\.(\d+)\.ln_1\.weight$/, 'model.layers.$1.input_layernorm.weight'],
  [/^transformer\.h\.(\d+)\.ln_2\.weight$/, 'model.layers.$1.post_attention_layernorm.weight'],
  [/^transformer\.h\.(\d+)\.attn\.c_proj\.(weight|bias)$/, 'model.layers.$1.self_attn.o_proj.$2'],
  [/^transformer\.h\.(\d+)\.mlp\.(\w+_proj)\.(weight|bias)$/, 'model.layers.$1.mlp.$2.$3'],
];
const FUSED_QKV = /^transformer\.h\.(\d+)\.attn\.c_attn\.(weight|bias)$/;

/** Where jielong's parameter `name` lives in an HF file of `family` holding `biases`. */
export function mappingOf(name: string, family: HFFamily, biases: HFBiases): Mapping {
  if (family === 'gpt2') return { kind: CONV1D.test(name) ? 'transposed' : 'same', hf: name };
  if (name.endsWith('.bias')) {
    const has = name.includes('.attn.c_attn.')
      ? biases.qkv
      : name.includes('.attn.c_proj.')
        ? biases.o
        : biases.mlp;
    if (!has) return { kind: 'zero' };
  }
  const qkv = FUSED_QKV.exec(name);
  if (qkv) {
    const [, layer, what] = qkv;
    const proj = (p: string) => `model.layers.${layer}.self_attn.${p}_proj.${what}`;
    return { kind: 'qkv', hf: [proj('q'), proj('k'), proj('v')] };
  }
  for (const [pattern, hf] of LLAMA_NAMES)
    if (pattern.test(name)) return { kind: 'same', hf: name.replace(pattern, hf) };
  throw new Error(`no Hugging Face ${family} name for jielong's parameter ${name}`);
}

/** The HF tensors' shapes that hold a jielong parameter of `shape` ([3 * dim, ...] for qkv). */
export function hfShapes(m: Mapping, shape: readonly number[], kvRows: number): number[][] {
  if (m.kind === 'zero') return [];
  if (m.kind === 'same') return [[...shape]];
  if (m.kind === 'transposed') return [[...shape].reverse()];
  const [rows, ...rest] = shape;
  return [
    [rows / 3, ...rest],
    [kvRows, ...rest],
    [kvRows, ...rest],
  ];
}

function transpose2d(t: Tensor): Tensor {
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c];
  return new Tensor(out, [cols, rows]);
}

/** Row block `i` of `n` equal blocks. */
function rowBlock(t: Tensor, i: number, n: number): Tensor {
  const size = t.data.length / n;
  const [rows, ...rest] = t.shape;
  return new Tensor(t.data.slice(i * size, (i + 1) * size), [rows / n, ...rest]);
}

function concatRows(parts: Tensor[]): Tensor {
  const out = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.data.length;
  }
  const [, ...rest] = parts[0].shape;
  return new Tensor(out, [parts.reduce((n, p) => n + p.shape[0], 0), ...rest]);
}

/**
 * Grouped-query attention made multi-head: query head h reads key/value head floor(h / (heads / kvHeads))
 * (transformers' repeat_kv), so giving every query head its own copy of that head's rows computes the
 * same attention exactly, only with repeated keys and values.
 */
function repeatHeads(t: Tensor, kvHeads: number, heads: number): Tensor {
  if (kvHeads === heads) return t;
  const group = heads / kvHeads;
  return concatRows(Array.from({ length: heads }, (_, h) => rowBlock(t, Math.floor(h / group), kvHeads)));
}

/** jielong's parameter as HF stores it: name to tensor (none for a 'zero' mapping). */
export function toHF(m: Mapping, t: Tensor): [string, Tensor][] {
  if (m.kind === 'zero') return [];
  if (m.kind === 'same') return [[m.hf, t]];
  if (m.kind === 'transposed') return [[m.hf, transpose2d(t)]];
  return m.hf.map((name, i) => [name, rowBlock(t, i, 3)]);
}

/** jielong's parameter of `shape` from HF's tensors (`get` returns each by HF name). */
export function fromHF(
  m: Mapping,
  shape: readonly number[],
  get: (hfName: string) => Tensor,
  heads: { heads: number; kvHeads: number },
): Tensor {
  if (m.kind === 'zero') return new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), [...shape]);
  if (m.kind === 'same') return get(m.hf);
  if (m.kind === 'transposed') return transpose2d(get(m.hf));
  const [q, k, v] = m.hf.map(get);
  return concatRows([
    q,
    repeatHeads(k, heads.kvHeads, heads.heads),
    repeatHeads(v, heads.kvHeads, heads.heads),
  ]);
}
