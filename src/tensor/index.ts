// The tensor layer's public face: the Tensor class and every op as a function (torch-style).
export {
  type BackwardFn,
  isAnomalyEnabled,
  isGradEnabled,
  type Node,
  noGrad,
  record,
  setDetectAnomaly,
} from './autograd.js';
export * from './ops/attention.js';
export * from './ops/creation.js';
export * from './ops/elementwise.js';
export * from './ops/indexing.js';
export * from './ops/matmul.js';
export * from './ops/nn.js';
export * from './ops/reduce.js';
export {
  cat,
  expand,
  flatten,
  permute,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  transpose,
  unsqueeze,
} from './ops/shape.js';
export { defaultGenerator, Generator, manualSeed } from './rng.js';
export { broadcastShapes, numel, type Shape } from './shape.js';
export { setPoisonUninitialized, uninitialized } from './storage.js';
export { IntTensor, type NestedArray, Tensor } from './tensor.js';
