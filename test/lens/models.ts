// The tiny random models every lens test runs on: each tool must work on attention, Mamba, DeltaNet and a
// hybrid stack alike.
import type { MixerKind } from '../../src/mixers/index.js';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { Generator, type IntTensor, noGrad, randint, type Tensor } from '../../src/tensor/index.js';

export const MODELS: [string, MixerKind | MixerKind[]][] = [
  ['attention', 'attention'],
  ['mamba', 'mamba'],
  ['deltanet', 'deltanet'],
  ['hybrid', ['mamba', 'attention', 'gated-deltanet']],
];

export const VOCAB = 24;
export const WIDTH = 16;

export const build = (mixer: MixerKind | MixerKind[]): LanguageModel =>
  new LanguageModel(
    makeConfig({
      vocabSize: VOCAB,
      blockSize: 16,
      nLayer: Array.isArray(mixer) ? mixer.length : 2,
      nHead: 2,
      nEmbd: WIDTH,
      mixer,
    }),
    { seed: 3 },
  ).eval();

export const ids = (seed: number, batch = 2, seq = 7): IntTensor =>
  randint(0, VOCAB, [batch, seq], new Generator(seed));

export const forward = (m: LanguageModel, x: IntTensor): Tensor => noGrad(() => m.forward(x));
