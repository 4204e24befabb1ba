// Circuits by pruning: the graph of a model's components, running it with parts masked, learning the masks
// (edge pruning with hard-concrete gates), the greedy ACDC baseline, and the found circuit as a picture.
export { type AcdcCircuit, acdc, acdcCurve } from './acdc.js';
export {
  type CircuitGraph,
  circuitGraph,
  type Edge,
  edgeIndex,
  type GraphNode,
  type ReaderKind,
  readerIndex,
  type WriterKind,
  writerIndex,
} from './graph.js';
export { expectedL0, keptGate, sampleGate } from './hard-concrete.js';
export {
  type CircuitAblation,
  type CircuitAblationKind,
  type CircuitMasks,
  circuitAblation,
  constantMasks,
  runCircuit,
} from './masked.js';
export { circuitSvg } from './picture.js';
export {
  MASK_KINDS,
  type MaskKind,
  type PrunedCircuit,
  type PruneOptions,
  pruneCircuit,
  pruningCurve,
} from './prune.js';
export {
  type CircuitScore,
  CircuitScorer,
  type CircuitTask,
  factRecallTask,
  klSum,
  lastLogProbs,
  type TaskBatch,
  taskBatches,
} from './task.js';
