export {
  type Checkpoint,
  loadCheckpoint,
  type OptimizerSnapshot,
  restoreOptimizer,
  saveCheckpoint,
} from './checkpoint.js';
export { clipGradNorm } from './clip.js';
export { AdamW, type AdamWOptions, Optimizer, type ParamGroup, SGD, type SGDOptions } from './optim.js';
export { type CosineSchedule, cosineLr } from './schedule.js';
export {
  DEFAULT_TRAIN_OPTIONS,
  estimateLoss,
  type LogEntry,
  makeOptimizer,
  readLog,
  type TrainerState,
  type TrainOptions,
  type TrainResult,
  type TrainRun,
  train,
} from './trainer.js';
