export {
  type Checkpoint,
  type LoadOptions,
  loadCheckpoint,
  nonFiniteParameter,
  type OptimizerSnapshot,
  restoreOptimizer,
  saveCheckpoint,
} from './checkpoint.js';
export { clipGradNorm } from './clip.js';
export {
  type Manifest,
  manifestOf,
  OPTIONAL_FILES,
  REQUIRED_FILES,
  sha256File,
  verifyCheckpointFolder,
} from './manifest.js';
export { AdamW, type AdamWOptions, Optimizer, type ParamGroup, SGD, type SGDOptions } from './optim.js';
export { type CosineSchedule, cosineLr } from './schedule.js';
export {
  DEFAULT_TRAIN_OPTIONS,
  estimateLoss,
  type LogEntry,
  makeOptimizer,
  readLog,
  type TrainerState,
  type TrainingData,
  type TrainOptions,
  type TrainResult,
  type TrainRun,
  train,
} from './trainer.js';
export { checked, TRAIN_OPTIONS_SCHEMA, TRAINER_STATE_SCHEMA } from './trainer-state.js';
