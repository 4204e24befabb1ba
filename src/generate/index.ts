export {
  type Alternative,
  type GenerateOptions,
  type GenerationStep,
  generate,
  generateText,
} from './generate.js';
export { promptIds } from './prompt.js';
export { processLogits, type SamplingOptions, sampleToken, topKProbs } from './sampling.js';
export { SequenceBatch } from './sequence-batch.js';
export { StopMatcher } from './stop.js';
