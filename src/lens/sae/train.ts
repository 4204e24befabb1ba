// Training a sparse autoencoder on a model's activations at one hook point, and the metrics the field
// reports for one. Activations come from a shuffled streaming buffer: the model reads random windows of
// a token stream, every position's activation joins the buffer, and batches are drawn from it in random
// order, refilled as it drains (so a batch mixes many windows, not one text's neighbouring tokens).
//   standard: loss = |x - x̂|² + λ Σ_i f_i |W_dec,i|   (the L1 penalty weighted by each decoder row's norm,
//             so shrinking f while growing W_dec does not cheat it)
//   topk:     loss = |x - x̂|² + α |e - ê|², the auxiliary loss (Gao et al. 2024) in which the k_aux
//             largest dead latents reconstruct the error e = x - x̂, which revives them; decoder rows are
//             kept at unit norm
//   jumprelu: loss = |x - x̂|² + λ Σ_i H(z_i - θ_i), an L0 penalty, θ learned through straight-through
//             estimators (jumprelu.ts); decoder rows kept at unit norm
import type { LanguageModel } from '../../model/index.js';
import {
  add,
  type Generator,
  IntTensor,
  logSoftmax,
  mul,
  noGrad,
  sqrt,
  square,
  sub,
  sum,
  Tensor,
} from '../../tensor/index.js';
import { AdamW } from '../../train/index.js';
import { runWithCache } from '../cache.js';
import { runWithHooks } from '../hooks.js';
import { jumpRelu, stepCount } from './jumprelu.js';
import { type SaeArchitecture, type SaeConfig, SparseAutoencoder } from './sae.js';
import { densePre, sparseDecode, topkEncode } from './sparse.js';

/** Where training activations come from: rows of d_in at a named hook point. */
export interface ActivationSource {
  readonly hook: string;
  readonly dIn: number;
  /** The next `batch` rows, [batch, d_in]. */
  take(batch: number): Tensor;
}

/** Activations of one hook point, [rows, d_in], drawn from random windows of a token stream. */
export class ActivationBuffer implements ActivationSource {
  private rows: Float32Array;
  private filled = 0;
  private next = 0;
  readonly dIn: number;

  constructor(
    private readonly model: LanguageModel,
    readonly hook: string,
    private readonly ids: ArrayLike<number>,
    private readonly options: { contextSize: number; capacity: number; generator: Generator },
  ) {
    if (ids.length <= options.contextSize)
      throw new Error(
        `ActivationBuffer: the text has ${ids.length} tokens, fewer than one window of ${options.contextSize}`,
      );
    this.dIn = this.window()[0].length;
    this.rows = new Float32Array(options.capacity * this.dIn);
    this.refill();
  }

  /** One random window's activations, a row per position. */
  private window(): Float32Array[] {
    const { contextSize, generator } = this.options;
    const start = generator.randint(this.ids.length - contextSize);
    const ids = new IntTensor(
      Int32Array.from({ length: contextSize }, (_, i) => this.ids[start + i]),
      [1, contextSize],
    );
    const act = noGrad(() => runWithCache(this.model, ids, { names: [this.hook] }).cache.get(this.hook));
    if (!act) throw new Error(`ActivationBuffer: the model has no hook point ${this.hook}`);
    const d = act.shape.at(-1)!;
    if (act.data.length !== contextSize * d)
      throw new Error(
        `ActivationBuffer: ${this.hook} has shape [${act.shape}]; an SAE reads one vector per position`,
      );
    return Array.from({ length: contextSize }, (_, t) => act.data.slice(t * d, (t + 1) * d));
  }

  /** Tops the buffer up with fresh windows and shuffles it (Fisher-Yates over rows). */
  private refill(): void {
    const { capacity, generator } = this.options;
    const d = this.dIn;
    // Keep the rows not yet served, then fill the rest.
    const kept = this.rows.slice(this.next * d, this.filled * d);
    this.rows.set(kept, 0);
    this.filled = kept.length / d;
    this.next = 0;
    while (this.filled < capacity) {
      for (const row of this.window()) {
        if (this.filled === capacity) break;
        this.rows.set(row, this.filled++ * d);
      }
    }
    const tmp = new Float32Array(d);
    for (let i = capacity - 1; i > 0; i--) {
      const j = generator.randint(i + 1);
      tmp.set(this.rows.subarray(i * d, (i + 1) * d));
      this.rows.copyWithin(i * d, j * d, (j + 1) * d);
      this.rows.set(tmp, j * d);
    }
  }

  /** The next `batch` rows, [batch, d_in]; refills once half the buffer is served. */
  take(batch: number): Tensor {
    if (batch > this.options.capacity / 2)
      throw new Error(`ActivationBuffer: a batch of ${batch} needs a buffer of at least ${2 * batch} rows`);
    if (this.next + batch > this.options.capacity / 2) this.refill();
    const out = this.rows.slice(this.next * this.dIn, (this.next + batch) * this.dIn);
    this.next += batch;
    return new Tensor(out, [batch, this.dIn]);
  }
}

export interface SaeTrainOptions {
  architecture: SaeArchitecture;
  /** Features (default 4 x d_in). */
  dSae?: number;
  /** Features kept per token, topk (default 8). */
  k?: number;
  /** λ of the L1 penalty, standard (default 1). */
  l1Coefficient?: number;
  /** λ of the L0 penalty, jumprelu (default 1), the straight-through window ε (default 0.05) and θ's start
   * (default 0.1). */
  l0Coefficient?: number;
  bandwidth?: number;
  initialThreshold?: number;
  /** log θ's learning rate as a multiple of lr (default 10). */
  thresholdLrScale?: number;
  /** Steps over which λ (L1 or L0) rises linearly from 0, as Gemma Scope warms its sparsity up (default 0). */
  sparsityWarmup?: number;
  /** Dead latents that reconstruct the error, topk (default d_in / 2), and the loss's weight (1/32). */
  auxK?: number;
  auxCoefficient?: number;
  /** A latent that has not fired for this many tokens is dead (default 2,000). */
  deadAfter?: number;
  steps?: number;
  /** Activations per step (default 256). */
  batchSize?: number;
  lr?: number;
  generator: Generator;
  /** Called every `every` steps (default 50). */
  onProgress?: (p: { step: number; mse: number; l0: number; dead: number }) => void;
  every?: number;
}

/** Sum over everything but the batch, mean over the batch: the loss per activation. */
const perRow = (t: Tensor, rows: number) => mul(sum(t), 1 / rows);

/** An SAE trained on the activations `source` gives (an ActivationBuffer over a model and a text). */
export function trainSae(source: ActivationSource, options: SaeTrainOptions): SparseAutoencoder {
  const trainer = new SaeTrainer(source.dIn, source.hook, options);
  const batchSize = options.batchSize ?? 256;
  for (let step = 1; step <= (options.steps ?? 1000); step++) {
    const { mse, fired } = trainer.step(source.take(batchSize));
    if (options.onProgress && (step % (options.every ?? 50) === 0 || step === 1)) {
      options.onProgress({ step, mse, l0: fired / batchSize, dead: trainer.dead() });
    }
  }
  return trainer.sae;
}

/** One SAE and its optimiser: step() is one update on a batch of activations [batch, d_in]. */
export class SaeTrainer {
  readonly sae: SparseAutoencoder;
  private readonly optimizer: AdamW;
  private readonly auxK: number;
  private readonly deadAfter: number;
  /** Tokens since each latent last fired. */
  private readonly sinceFired: Float64Array;
  /** JumpReLU's log θ [d_sae], what the optimiser moves; sae.threshold is exp of it after every step. */
  private readonly logThreshold: Tensor | null;
  private steps = 0;

  constructor(
    dIn: number,
    hook: string,
    private readonly options: Omit<SaeTrainOptions, 'steps' | 'batchSize' | 'onProgress' | 'every'>,
  ) {
    const { architecture, generator } = options;
    const cfg: SaeConfig = {
      architecture,
      d_in: dIn,
      d_sae: options.dSae ?? 4 * dIn,
      hook_name: hook,
      apply_b_dec_to_input: true,
      ...(architecture === 'topk' ? { k: options.k ?? 8 } : {}),
    };
    this.sae = new SparseAutoencoder(cfg, { generator });
    this.logThreshold =
      architecture === 'jumprelu'
        ? new Tensor(new Float32Array(cfg.d_sae).fill(Math.log(options.initialThreshold ?? 0.1)), [
            cfg.d_sae,
          ]).requiresGrad_()
        : null;
    this.syncThreshold();
    const lr = options.lr ?? 1e-3;
    // log θ moves lr per step at most under Adam, too slow for a short run to find its scale: its own rate.
    const thresholdGroup = this.logThreshold
      ? [{ params: [this.logThreshold], lr: lr * (options.thresholdLrScale ?? 10) }]
      : [];
    this.optimizer = new AdamW([{ params: this.sae.parameters() }, ...thresholdGroup], {
      lr,
      weightDecay: 0,
    });
    this.auxK = options.auxK ?? Math.max(1, Math.floor(dIn / 2));
    this.deadAfter = options.deadAfter ?? 2000;
    this.sinceFired = new Float64Array(cfg.d_sae);
  }

  /** One update; returns the batch's squared error per row and its count of non-zero codes. */
  step(x: Tensor): { mse: number; fired: number } {
    const { sae, options } = this;
    const rows = x.shape[0];
    this.steps++;
    const warmup = options.sparsityWarmup ?? 0;
    const ramp = warmup > 0 ? Math.min(1, this.steps / warmup) : 1;
    let loss: Tensor;
    let error: Tensor;
    let fired: number;
    if (options.architecture === 'topk') {
      // The sparse fast path (sparse.ts): the same loss as the dense form, touching only the k per row.
      const { W_enc, b_enc, W_dec, b_dec } = sae;
      const pre = densePre(x, W_enc, b_enc, b_dec);
      const code = topkEncode(pre, x, W_enc, b_enc, b_dec, sae.cfg.k!);
      error = sub(sparseDecode(code, W_dec, b_dec), x);
      loss = perRow(square(error), rows);
      loss = this.withAux(loss, pre, x, error);
      fired = this.markFired(code.indices.data, code.values.data, rows);
    } else if (this.logThreshold) {
      const pre = sae.preActivations(x);
      const bandwidth = options.bandwidth ?? 0.05;
      const f = jumpRelu(pre, this.logThreshold, bandwidth);
      error = sub(sae.decode(f), x);
      const l0 = mul(stepCount(pre, this.logThreshold, bandwidth), 1 / rows);
      loss = add(perRow(square(error), rows), mul(l0, ramp * (options.l0Coefficient ?? 1)));
      loss = this.withAux(loss, pre.data, x, error);
      fired = this.markFired(null, f.data, rows);
    } else {
      const f = sae.encode(x);
      error = sub(sae.decode(f), x);
      const norms = sqrt(sum(square(sae.W_dec), 1)); // [d_sae]
      const l1 = perRow(mul(f, norms), rows);
      loss = add(perRow(square(error), rows), mul(l1, ramp * (options.l1Coefficient ?? 1)));
      fired = this.markFired(null, f.data, rows);
    }
    this.optimizer.zeroGrad();
    loss.backward();
    this.optimizer.step();
    this.syncThreshold();
    if (options.architecture === 'topk') normaliseDecoder(sae);
    return { mse: sumSquares(error.data) / rows, fired };
  }

  /**
   * Adds the auxiliary loss that revives dead latents (Gao et al. 2024): the k_aux largest dead latents,
   * through the decoder without its bias, reconstruct the error e = x - x̂ (held fixed). TopK's; JumpReLU
   * gets it too, since a latent that never passes its threshold otherwise gets no gradient back.
   */
  private withAux(loss: Tensor, pre: Float32Array, x: Tensor, error: Tensor): Tensor {
    const dead = this.deadMask();
    if (!dead) return loss;
    const { W_enc, b_enc, W_dec, b_dec } = this.sae;
    const aux = topkEncode(pre, x, W_enc, b_enc, b_dec, Math.min(this.auxK, dead.count), dead.mask);
    // e = -error: the gap is predicted - e.
    const gap = add(sparseDecode(aux, W_dec, null), new Tensor(error.data.slice(), error.shape));
    return add(loss, mul(perRow(square(gap), x.shape[0]), this.options.auxCoefficient ?? 1 / 32));
  }

  private syncThreshold(): void {
    if (this.logThreshold) this.sae.threshold!.data.set(this.logThreshold.data.map(Math.exp));
  }

  /** The dead latents (none fired for deadAfter tokens) as a mask, or null when none is dead. */
  private deadMask(): { mask: Uint8Array; count: number } | null {
    const mask = new Uint8Array(this.sinceFired.length);
    let count = 0;
    for (let i = 0; i < mask.length; i++) {
      if (this.sinceFired[i] >= this.deadAfter) {
        mask[i] = 1;
        count++;
      }
    }
    return count ? { mask, count } : null;
  }

  /**
   * Updates tokens-since-fired per latent from a batch's codes: dense [rows, d_sae] (indices null), or
   * sparse values at indices; returns the count of non-zero codes.
   */
  private markFired(indices: Int32Array | null, values: Float32Array, rows: number): number {
    const d = this.sinceFired.length;
    const fired = new Uint8Array(d);
    let count = 0;
    if (indices) {
      for (let i = 0; i < values.length; i++) {
        if (values[i] !== 0) {
          fired[indices[i]] = 1;
          count++;
        }
      }
    } else {
      for (let base = 0; base < values.length; base += d) {
        for (let j = 0; j < d; j++) {
          if (values[base + j] !== 0) {
            fired[j] = 1;
            count++;
          }
        }
      }
    }
    for (let i = 0; i < d; i++) this.sinceFired[i] = fired[i] ? 0 : this.sinceFired[i] + rows;
    return count;
  }

  /** Latents that have not fired for deadAfter tokens. */
  dead(): number {
    return this.sinceFired.reduce((a, s) => a + (s >= this.deadAfter ? 1 : 0), 0);
  }
}

/** Rescales each decoder row to unit norm (topk keeps its dictionary normalised). */
function normaliseDecoder(sae: SparseAutoencoder): void {
  const { d_in, d_sae } = sae.cfg;
  const w = sae.W_dec.data;
  for (let i = 0; i < d_sae; i++) {
    const row = w.subarray(i * d_in, (i + 1) * d_in);
    let sq = 0;
    for (let j = 0; j < d_in; j++) sq += row[j] * row[j];
    const scale = sq > 0 ? 1 / Math.sqrt(sq) : 1;
    for (let j = 0; j < d_in; j++) row[j] *= scale;
  }
}

function sumSquares(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return s;
}

export interface SaeMetrics {
  /** Mean features firing per token. */
  l0: number;
  /** 1 - |x - x̂|² / |x - mean x|², over all tokens. */
  explained_variance: number;
  /** Mean |x̂| / |x|. */
  l2_ratio: number;
  /** (CE with the activation zeroed - CE with the SAE spliced in) / (CE zeroed - CE clean). */
  ce_loss_score: number;
  /** (KL zeroed - KL spliced) / KL zeroed, each KL from the clean next-token distribution. */
  kl_div_score: number;
  ce_loss_clean: number;
  ce_loss_with_sae: number;
  ce_loss_zero: number;
  /** Features that never fired on the evaluation tokens; features firing on more than 10% of them. */
  dead_features: number;
  dense_features: number;
}

/** The field's metrics on `windows` (each [B, T] token ids), the SAE spliced into the forward pass. */
export function evaluateSae(
  model: LanguageModel,
  sae: SparseAutoencoder,
  windows: readonly IntTensor[],
): SaeMetrics {
  const hook = sae.cfg.hook_name;
  const d = sae.cfg.d_sae;
  const fires = new Float64Array(d);
  let tokens = 0;
  let l0 = 0;
  let residual = 0;
  let l2 = 0;
  // Per dimension, Σx and Σx² (float64) for the activations' variance around their mean.
  const sums = new Float64Array(sae.cfg.d_in);
  const squares = new Float64Array(sae.cfg.d_in);
  const ce = { clean: 0, sae: 0, zero: 0 };
  const kl = { sae: 0, zero: 0 };
  noGrad(() => {
    for (const ids of windows) {
      const { logits, cache } = runWithCache(model, ids, { names: [hook] });
      const x = cache.get(hook)!;
      const xHat = sae.forward(x);
      const f = sae.encode(x);
      const [B, T] = ids.shape;
      tokens += B * T;
      for (let i = 0; i < f.data.length; i++)
        if (f.data[i] !== 0) {
          fires[i % d]++;
          l0++;
        }
      const n = sae.cfg.d_in;
      for (let p = 0; p < B * T; p++) {
        let xx = 0;
        let hh = 0;
        for (let j = 0; j < n; j++) {
          const a = x.data[p * n + j];
          const b = xHat.data[p * n + j];
          residual += (a - b) ** 2;
          xx += a * a;
          hh += b * b;
        }
        l2 += Math.sqrt(hh) / (Math.sqrt(xx) || 1);
        for (let j = 0; j < n; j++) {
          sums[j] += x.data[p * n + j];
          squares[j] += x.data[p * n + j] ** 2;
        }
      }
      const spliced = runWithHooks(model, ids, [{ name: hook, fn: (a) => sae.forward(a) }]);
      const zeroed = runWithHooks(model, ids, [
        { name: hook, fn: (a) => new Tensor(new Float32Array(a.data.length), a.shape) },
      ]);
      const clean = logSoftmax(logits, -1);
      const [withSae, withZero] = [logSoftmax(spliced, -1), logSoftmax(zeroed, -1)];
      const V = clean.shape.at(-1)!;
      for (let b = 0; b < B; b++)
        for (let t = 0; t + 1 < T; t++) {
          const at = (b * T + t) * V;
          const target = ids.data[b * T + t + 1];
          ce.clean -= clean.data[at + target];
          ce.sae -= withSae.data[at + target];
          ce.zero -= withZero.data[at + target];
          for (let v = 0; v < V; v++) {
            const p = Math.exp(clean.data[at + v]);
            kl.sae += p * (clean.data[at + v] - withSae.data[at + v]);
            kl.zero += p * (clean.data[at + v] - withZero.data[at + v]);
          }
        }
    }
  });
  const n = sae.cfg.d_in;
  let variance = 0;
  for (let j = 0; j < n; j++) variance += squares[j] - sums[j] ** 2 / tokens;
  const predicted = windows.reduce((a, w) => a + w.shape[0] * (w.shape[1] - 1), 0);
  const [clean, withSae, zero] = [ce.clean / predicted, ce.sae / predicted, ce.zero / predicted];
  return {
    l0: l0 / tokens,
    explained_variance: 1 - residual / variance,
    l2_ratio: l2 / tokens,
    ce_loss_score: (zero - withSae) / (zero - clean),
    kl_div_score: (kl.zero - kl.sae) / kl.zero,
    ce_loss_clean: clean,
    ce_loss_with_sae: withSae,
    ce_loss_zero: zero,
    dead_features: fires.reduce((a, c) => a + (c === 0 ? 1 : 0), 0),
    dense_features: fires.reduce((a, c) => a + (c / tokens > 0.1 ? 1 : 0), 0),
  };
}
