// One Transformer block on the residual stream (pre-norm, as GPT-2 and Llama):
//   resid_mid  = resid_pre + mixer(norm_1(resid_pre))
//   resid_post = resid_mid + mlp(norm_2(resid_mid))
// Each sublayer reads the stream and adds its output back: this is where "the residual is added".
import { createMixer, type Mixer, type MixerContext } from '../mixers/index.js';
import { hookPoints, LayerNorm, MLP, Module, RMSNorm, SwiGLU } from '../nn/index.js';
import { add, dropout, type Generator, type RotaryTable, type Tensor } from '../tensor/index.js';
import { type ModelConfig, mixerOf, mlpHidden } from './config.js';

export function makeNorm(c: ModelConfig): LayerNorm | RMSNorm {
  return c.norm === 'layernorm'
    ? new LayerNorm(c.nEmbd, c.normEps, { bias: c.bias })
    : new RMSNorm(c.nEmbd, c.normEps);
}

// TransformerLens's names for the residual stream and the sublayer inputs and outputs.
const blockPoints = (prefix: string) =>
  hookPoints(prefix, [
    'hook_resid_pre',
    'ln1.hook_normalized',
    'hook_attn_out',
    'hook_resid_mid',
    'ln2.hook_normalized',
    'hook_mlp_out',
    'hook_resid_post',
  ]);

export class Block extends Module {
  readonly ln_1: LayerNorm | RMSNorm;
  /** Self-attention layers are `attn` (GPT-2's name); every other kind of mixer is `mixer`. */
  readonly attn?: Mixer;
  readonly mixer?: Mixer;
  readonly ln_2: LayerNorm | RMSNorm;
  readonly mlp: MLP | SwiGLU;
  readonly points: ReturnType<typeof blockPoints>;

  constructor(
    readonly config: ModelConfig,
    readonly index: number,
    rotary: RotaryTable | null,
    generator: Generator,
  ) {
    super();
    const c = config;
    const prefix = `blocks.${index}`;
    // GPT-2 init: N(0, 0.02), with the projections into the residual stream scaled by 1/sqrt(2 * layers)
    // so the stream's variance does not grow with depth.
    const std = 0.02;
    const projStd = 0.02 / Math.sqrt(2 * c.nLayer);
    this.ln_1 = makeNorm(c);
    const kind = mixerOf(c, index);
    const field = kind === 'attention' ? 'attn' : 'mixer';
    this[field] = createMixer(
      kind,
      {
        dim: c.nEmbd,
        name: `${prefix}.${field}`,
        heads: c.nHead,
        bias: c.bias,
        std,
        projStd,
        rotary,
        generator,
      },
      c.mixerOptions?.[kind],
    );
    this.ln_2 = makeNorm(c);
    const Mlp = c.mlp === 'gelu' ? MLP : SwiGLU;
    this.mlp = new Mlp(c.nEmbd, mlpHidden(c), `${prefix}.mlp`, { bias: c.bias, std, projStd, generator });
    this.points = blockPoints(prefix);
  }

  /** The sequence mixer, whichever field holds it. */
  get sequenceMixer(): Mixer {
    return (this.attn ?? this.mixer)!;
  }

  forward(x: Tensor, ctx: MixerContext): Tensor {
    const h = ctx.hooks;
    const p = this.config.dropout;
    const residPre = h.run(this.points.hook_resid_pre, x);
    const attnOut = h.run(
      this.points.hook_attn_out,
      dropout(
        this.sequenceMixer.forward(
          h.run(this.points['ln1.hook_normalized'], this.ln_1.forward(residPre)),
          ctx,
        ),
        p,
        this.training,
      ),
    );
    const residMid = h.run(this.points.hook_resid_mid, add(residPre, attnOut));
    const mlpOut = h.run(
      this.points.hook_mlp_out,
      dropout(
        this.mlp.forward(h.run(this.points['ln2.hook_normalized'], this.ln_2.forward(residMid)), h),
        p,
        this.training,
      ),
    );
    return h.run(this.points.hook_resid_post, add(residMid, mlpOut));
  }
}
