// Looking inside (the third lecture): run a model with its activations cached or changed, decode the
// residual stream layer by layer, intervene (patch, ablate, steer), and probe relations with linear
// relational embeddings. For every mixer.
export { attributionPatching } from './attribution.js';
export { ActivationCache, type CacheOptions, type ResidStack, runWithCache } from './cache.js';
export {
  type Hook,
  hookContext,
  replace,
  runWithHooks,
  type Sites,
  sites,
  type Where,
  withSites,
} from './hooks.js';
export { meanAblate, meanActivation, meanDifference, patch, steer, zeroAblate } from './interventions.js';
export { type Matrix, matrix } from './linalg.js';
export { type LensEntry, type LogitLens, logitLens } from './logit-lens.js';
export {
  type Affine,
  applyLRE,
  type Causality,
  causality,
  decodeLRE,
  type Faithfulness,
  type FitOptions,
  faithfulness,
  fitJacobianMean,
  fitLeastSquares,
  fitLRE,
  jacobian,
  type LabelledCase,
  type LRE,
  type RelationCase,
  type RowMap,
  relationReps,
  subjectJacobian,
  subjectMap,
} from './probe.js';
export { fitTunedLens, lensKL, TunedLens } from './tuned-lens.js';
