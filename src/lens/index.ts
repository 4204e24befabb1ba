// Looking inside (the third lecture): run a model with its activations cached or changed, decode the
// residual stream layer by layer, and intervene: patch, ablate, steer. For every mixer.
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
export { type LensEntry, type LogitLens, logitLens } from './logit-lens.js';
export { fitTunedLens, lensKL, TunedLens } from './tuned-lens.js';
