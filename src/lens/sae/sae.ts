// A sparse autoencoder (the third lecture: a representation as a weighted sum of a few feature vectors
// plus an error term). encode: f = σ((x - b_dec) W_enc + b_enc), a code of d_sae features of which few
// are non-zero; decode: x̂ = f W_dec + b_dec, each decoder row a feature's direction. The sparsity σ is
// one of SAELens's architectures, with its names and tensor layout (W_enc [d_in, d_sae], W_dec
// [d_sae, d_in]), so an SAE moves between jielong and SAELens as it is (saelens.ts):
//   standard  ReLU (trained with an L1 penalty on f)
//   topk      the k largest pre-activations kept, through a ReLU; the rest zero
//   jumprelu  a pre-activation kept only above its feature's learned threshold (and above 0)
// The gates are masks multiplied in, so gradients reach exactly the kept pre-activations (TopK's and
// JumpReLU's own gradient with respect to the input).

import { constant, Module, normal, parameter } from '../../nn/index.js';
import { add, fromArray, type Generator, matmul, mul, relu, sub, type Tensor } from '../../tensor/index.js';
import { saeKernels } from './kernels.js';

export const SAE_ARCHITECTURES = ['standard', 'topk', 'jumprelu'] as const;
export type SaeArchitecture = (typeof SAE_ARCHITECTURES)[number];

export interface SaeConfig {
  architecture: SaeArchitecture;
  d_in: number;
  d_sae: number;
  /** The hook point it reads and writes (e.g. "blocks.1.hook_resid_post"). */
  hook_name: string;
  /** Features kept per token ('topk' only). */
  k?: number;
  /** Subtract b_dec from the input before encoding (SAELens's default, true). */
  apply_b_dec_to_input: boolean;
}

export class SparseAutoencoder extends Module {
  readonly W_enc: Tensor;
  readonly b_enc: Tensor;
  readonly W_dec: Tensor;
  readonly b_dec: Tensor;
  /** Per-feature thresholds ('jumprelu' only). */
  readonly threshold: Tensor | null;

  constructor(
    readonly cfg: SaeConfig,
    options: { generator?: Generator } = {},
  ) {
    super();
    const { architecture, d_in, d_sae, k } = cfg;
    if (!SAE_ARCHITECTURES.includes(architecture))
      throw new Error(`SAE: unknown architecture "${architecture}" (${SAE_ARCHITECTURES.join(', ')})`);
    for (const [field, v] of [
      ['d_in', d_in],
      ['d_sae', d_sae],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`SAE: ${field} must be a positive integer, got ${v}`);
    if (architecture === 'topk' && (!Number.isInteger(k) || k! < 1 || k! > d_sae))
      throw new Error(`SAE: a topk SAE needs k in 1..${d_sae}, got ${k}`);
    // Decoder rows of unit norm, the encoder their transpose (the usual start: each feature reads the
    // direction it writes).
    this.W_dec = normal([d_sae, d_in], 1, options.generator);
    const w = this.W_dec.data;
    for (let i = 0; i < d_sae; i++) {
      const row = w.subarray(i * d_in, (i + 1) * d_in);
      const norm = Math.hypot(...row) || 1;
      for (let j = 0; j < d_in; j++) row[j] /= norm;
    }
    this.W_enc = parameter([d_in, d_sae], (n) => w[(n % d_sae) * d_in + Math.floor(n / d_sae)]);
    this.b_enc = constant([d_sae], 0);
    this.b_dec = constant([d_in], 0);
    this.threshold = architecture === 'jumprelu' ? constant([d_sae], 0) : null;
  }

  /** Pre-activations: (x - b_dec) W_enc + b_enc, [..., d_sae]. */
  preActivations(x: Tensor): Tensor {
    this.checkInput(x);
    const centred = this.cfg.apply_b_dec_to_input ? sub(x, this.b_dec) : x;
    return add(matmul(centred, this.W_enc), this.b_enc);
  }

  /** The sparse code f, [..., d_sae]. */
  encode(x: Tensor): Tensor {
    const pre = this.preActivations(x);
    if (this.cfg.architecture === 'standard') return relu(pre);
    // Through a ReLU as well, as SAELens's JumpReLU does: a negative threshold lets nothing negative out.
    return mul(relu(pre), this.gate(pre));
  }

  /** The reconstruction f W_dec + b_dec, [..., d_in]. */
  decode(f: Tensor): Tensor {
    return add(matmul(f, this.W_dec), this.b_dec);
  }

  forward(x: Tensor): Tensor {
    return this.decode(this.encode(x));
  }

  /** 1 where a feature is let through: its row's k largest ('topk'), or above its threshold ('jumprelu'). */
  private gate(pre: Tensor): Tensor {
    const d = this.cfg.d_sae;
    const rows = pre.data.length / d;
    const mask = new Float32Array(pre.data.length);
    if (this.cfg.architecture === 'jumprelu') {
      const t = this.threshold!.data;
      for (let i = 0; i < pre.data.length; i++) mask[i] = pre.data[i] > t[i % d] ? 1 : 0;
    } else {
      const k = this.cfg.k!;
      const indices = new Int32Array(rows * k);
      saeKernels().topkSelect(pre.data, null, indices, rows, k, d);
      for (let i = 0; i < indices.length; i++) mask[Math.floor(i / k) * d + indices[i]] = 1;
    }
    return fromArray(mask, pre.shape);
  }

  private checkInput(x: Tensor): void {
    if (x.shape.at(-1) !== this.cfg.d_in)
      throw new Error(
        `SAE (${this.cfg.hook_name}): input of shape [${x.shape}], expected [..., ${this.cfg.d_in}]`,
      );
  }
}
