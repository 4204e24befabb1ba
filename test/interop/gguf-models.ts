// Models and a tokenizer for the GGUF tests: weights drawn so every parameter matters (matrices
// std 1/sqrt(fan_in), norm gains around 1, biases around 0) rather than the tiny training init, whose
// logits are all near zero and would hide a swapped or misplaced tensor.
import { LanguageModel, makeConfig, type Preset } from '../../src/model/index.js';
import { Generator } from '../../src/tensor/index.js';
import { ByteLevelBPE } from '../../src/tokenizer/index.js';

const TEXT = 'Ada Lin was born in Paris. She works as a baker and likes chess. The quick brown fox jumps. ';

/** A small byte-level BPE with one special token. */
export function smallTokenizer(vocabSize = 300): ByteLevelBPE {
  return ByteLevelBPE.train(TEXT.repeat(20), { vocabSize, specialTokens: ['<|endoftext|>'] });
}

export function sharpModel(
  preset: Preset,
  sizes: {
    vocabSize: number;
    nLayer?: number;
    nEmbd?: number;
    nHead?: number;
    blockSize?: number;
    tieEmbeddings?: boolean;
  },
  seed = 1,
): LanguageModel {
  const config = makeConfig({ preset, nLayer: 2, nEmbd: 64, nHead: 4, blockSize: 64, ...sizes });
  const model = new LanguageModel(config, { seed });
  const g = new Generator(seed + 100);
  for (const [name, p] of model.namedParameters()) {
    const isGain = /ln_\d|ln_f/.test(name) && name.endsWith('weight');
    const std = p.shape.length === 2 ? 1 / Math.sqrt(p.shape[1]) : 0.1;
    for (let i = 0; i < p.data.length; i++) p.data[i] = (isGain ? 1 : 0) + std * g.normal();
  }
  return model;
}
