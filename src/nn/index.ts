export { Embedding } from './embedding.js';
export { type CacheFilter, HookContext, type HookFn, HookPoint, hookPoints, NO_HOOKS } from './hooks.js';
export {
  constant,
  markNoWeightDecay,
  normal,
  parameter,
  ShapeBudgetError,
  uniform,
  wantsWeightDecay,
  withShapesOnly,
} from './init.js';
export { Linear, type LinearOptions } from './linear.js';
export { MLP, type MLPOptions, SwiGLU } from './mlp.js';
export { Module } from './module.js';
export { LayerNorm, RMSNorm } from './norm.js';
export { type RopeScaling, rotaryTable } from './rotary.js';
