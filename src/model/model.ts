// The decoder-only language model: token (and position) embeddings start the residual stream, blocks add
// to it, a final norm and the unembedding turn it into next-token logits.
// Parameter names follow Hugging Face GPT-2 (transformer.wte, transformer.h.0.attn.c_attn, lm_head, ...);
// hook names follow TransformerLens (hook_embed, blocks.0.hook_resid_pre, ln_final.hook_normalized, ...).
import type { MixerState, Positions } from '../mixers/index.js';
import {
  Embedding,
  type HookContext,
  HookPoint,
  hookPoints,
  type LayerNorm,
  Linear,
  Module,
  NO_HOOKS,
  type RMSNorm,
  rotaryTable,
} from '../nn/index.js';
import { add, crossEntropy, dropout, Generator, IntTensor, matmul, type Tensor } from '../tensor/index.js';
import { Block, makeNorm } from './block.js';
import { type ModelConfig, validateConfig } from './config.js';

class Transformer extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding | null;
  readonly h: Block[];
  readonly ln_f: LayerNorm | RMSNorm;

  constructor(c: ModelConfig, g: Generator) {
    super();
    this.wte = new Embedding(c.vocabSize, c.nEmbd, { std: 0.02, generator: g });
    this.wpe =
      c.positions === 'learned' ? new Embedding(c.blockSize, c.nEmbd, { std: 0.02, generator: g }) : null;
    const rotary =
      c.positions === 'rope' ? rotaryTable(c.nEmbd / c.nHead, c.blockSize, c.ropeTheta, c.ropeScaling) : null;
    this.h = Array.from({ length: c.nLayer }, (_, i) => new Block(c, i, rotary, g));
    this.ln_f = makeNorm(c);
  }
}

/** What generation carries between calls: each layer's mixer state and how many tokens it has seen. */
export interface GenerationState<P extends Positions = number> {
  layers: MixerState[];
  /** Tokens seen: one count for the batch, or one per sequence (a server's batch of different lengths). */
  pos: P;
  readonly capacity: number;
}

export interface ForwardOptions {
  hooks?: HookContext;
  /** Continue from this state (generation); it is updated in place. */
  state?: GenerationState<Positions>;
}

export class LanguageModel extends Module {
  readonly config: ModelConfig;
  readonly points = hookPoints('', ['hook_embed', 'ln_final.hook_normalized']);
  /** Learned positions only. */
  readonly posEmbedPoint: HookPoint | null;
  readonly transformer: Transformer;
  private pointsByName: Map<string, HookPoint> | null = null;
  readonly lm_head: Linear | null;

  constructor(config: ModelConfig, options: { seed?: number; generator?: Generator } = {}) {
    super();
    validateConfig(config);
    this.config = config;
    const g = options.generator ?? new Generator(options.seed ?? 0);
    this.posEmbedPoint = config.positions === 'learned' ? new HookPoint('hook_pos_embed') : null;
    this.transformer = new Transformer(config, g);
    this.lm_head = config.tieEmbeddings
      ? null
      : new Linear(config.nEmbd, config.vocabSize, { bias: false, std: 0.02, generator: g });
  }

  /** The unembedding matrix W_U as [vocab, dim] (tied: the token embedding). */
  get unembedWeight(): Tensor {
    return this.lm_head ? this.lm_head.weight : this.transformer.wte.weight;
  }

  /** The residual stream after the last block and the final norm: [B, T, dim]. */
  residual(ids: IntTensor, options: ForwardOptions = {}): Tensor {
    const c = this.config;
    const hooks = options.hooks ?? NO_HOOKS;
    const state = options.state ?? null;
    if (ids.ndim !== 2) throw new Error(`model: expected token ids [batch, seq], got [${ids.shape}]`);
    const [batch, seq] = ids.shape;
    const pos = state?.pos ?? 0;
    if (typeof pos !== 'number' && pos.length !== batch)
      throw new Error(`model: the state has positions for ${pos.length} sequences, the input ${batch}`);
    const end = (typeof pos === 'number' ? pos : Math.max(...pos)) + seq;
    if (end > c.blockSize) {
      throw new Error(`model: ${end} tokens exceed the context of ${c.blockSize} (blockSize)`);
    }
    if (state && (state.layers.length !== c.nLayer || end > state.capacity)) {
      throw new Error(`model: generation state holds ${state.capacity} tokens, asked for ${end}`);
    }
    for (const id of ids.data) {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize)
        throw new Error(`model: token id ${id} is outside the vocabulary of ${c.vocabSize}`);
    }
    if (hooks !== NO_HOOKS) {
      this.pointsByName ??= this.hookPoints();
      hooks.checkNames(this.pointsByName);
    }
    let x = hooks.run(this.points.hook_embed, this.transformer.wte.forward(ids));
    if (this.transformer.wpe && this.posEmbedPoint) {
      const positions =
        typeof pos === 'number'
          ? new IntTensor(
              Int32Array.from({ length: seq }, (_, i) => pos + i),
              [1, seq],
            )
          : new IntTensor(
              Int32Array.from({ length: batch * seq }, (_, i) => pos[Math.floor(i / seq)] + (i % seq)),
              [batch, seq],
            );
      x = add(x, hooks.run(this.posEmbedPoint, this.transformer.wpe.forward(positions)));
    }
    x = dropout(x, c.dropout, this.training);
    this.transformer.h.forEach((block, i) => {
      x = block.forward(x, { hooks, state: state ? state.layers[i] : null, pos });
    });
    if (state && typeof state.pos === 'number') state.pos += seq;
    else if (state) for (let b = 0; b < batch; b++) (state.pos as Int32Array)[b] += seq;
    return hooks.run(this.points['ln_final.hook_normalized'], this.transformer.ln_f.forward(x));
  }

  /** Next-token logits [B, T, vocab] for token ids [B, T]. */
  forward(ids: IntTensor, options: ForwardOptions = {}): Tensor {
    return this.unembed(this.residual(ids, options));
  }

  /** Logits from a residual stream (the logit lens applies this to intermediate layers). */
  unembed(resid: Tensor): Tensor {
    return matmul(resid, this.unembedWeight, { transposeB: true });
  }

  /** Mean next-token cross-entropy of ids [B, T] against targets [B, T] (-100 ignored). */
  loss(ids: IntTensor, targets: IntTensor, options: ForwardOptions = {}): Tensor {
    const logits = this.forward(ids, options);
    const v = this.config.vocabSize;
    return crossEntropy(logits.reshape(-1, v), targets.reshape(-1));
  }

  /** An empty generation state for `batch` sequences of up to `capacity` tokens (default the full context). */
  newState(batch = 1, capacity = this.config.blockSize): GenerationState {
    const cap = Math.min(capacity, this.config.blockSize);
    return {
      layers: this.transformer.h.map((b) => b.sequenceMixer.initState(batch, cap)),
      pos: 0,
      capacity: cap,
    };
  }
}
