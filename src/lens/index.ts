// Looking inside (the third lecture): run a model with its activations cached or changed, decode the
// residual stream layer by layer, intervene (patch, ablate, steer), trace where a fact is (causal
// tracing), probe relations with linear relational embeddings, find features with sparse autoencoders, let
// the model read its own states (Patchscopes) and hop again (back-patching). For every mixer.

export {
  type AblationMethod,
  type AblationReference,
  type AblationRow,
  ablationHooks,
  ablationSweep,
  type Component,
  componentLabel,
  componentSites,
  headPoint,
  listComponents,
  logitDiffMetric,
  lossMetric,
  type Metric,
  resampleAblate,
} from './ablation.js';
export { attributionPatching } from './attribution.js';
export {
  type BackpatchSplit,
  type BackpatchStudy,
  backpatch,
  backpatchPairs,
  backpatchStudy,
  type LayerPair,
  type TwoHopCase,
} from './backpatch.js';
export { ActivationCache, type CacheOptions, type ResidStack, runWithCache } from './cache.js';
export {
  type AcdcCircuit,
  acdc,
  acdcCurve,
  type CircuitAblation,
  type CircuitAblationKind,
  type CircuitGraph,
  type CircuitMasks,
  type CircuitScore,
  CircuitScorer,
  type CircuitTask,
  circuitAblation,
  circuitGraph,
  circuitSvg,
  constantMasks,
  factRecallTask,
  MASK_KINDS,
  type MaskKind,
  type PrunedCircuit,
  type PruneOptions,
  pruneCircuit,
  pruningCurve,
  runCircuit,
} from './circuit/index.js';
export * as edit from './edit/index.js';
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
export { meanAblate, meanActivation, patch, zeroAblate } from './interventions.js';
export {
  answerToken,
  bestPhrasings,
  checkFacts,
  type FactCheck,
  greedyAnswer,
  recallByRelation,
  subjectSpan,
} from './known-facts.js';
export {
  editValue,
  type KeyContext,
  keyValueMemories,
  type LayerMemory,
  type NeuronMemory,
  type ValueEdit,
  type ValueEditRates,
  valueEditRates,
  valueLogits,
} from './kv-memory.js';
export { keyValuePagesHtml } from './kv-pages.js';
export { type Matrix, matrix } from './linalg.js';
export { type LensEntry, type LogitLens, logitLens } from './logit-lens.js';
export {
  attributePrompt,
  echoPrompt,
  entityReadout,
  type InspectionPrompt,
  identityPrompt,
  inspectionPrompt,
  type PatchscopeResult,
  patchInto,
  patchscope,
  type ReadoutRow,
  residPatch,
  residPoint,
  residStream,
  type StreamSite,
} from './patchscope.js';
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
export {
  ablateDirection,
  addDirection,
  type RefusalReport,
  type ReplyCheck,
  rate,
  refusalDirection,
  refusalExperiment,
  refusalPoint,
  replies,
} from './refusal.js';
export {
  ActivationBuffer,
  type ActivationSource,
  bestFeature,
  type ConceptMatch,
  evaluateSae,
  type FeatureContext,
  type FeatureReport,
  type FeatureReportOptions,
  featurePagesHtml,
  featureReports,
  groundTruth,
  loadSae,
  relationWords,
  SAE_ARCHITECTURES,
  SAE_CONFIG_FILE,
  SAE_WEIGHTS_FILE,
  type SaeArchitecture,
  type SaeConfig,
  type SaeMetrics,
  SaeTrainer,
  type SaeTrainOptions,
  SparseAutoencoder,
  saveSae,
  trainSae,
} from './sae/index.js';
export {
  firstComponent,
  type InContextVector,
  inContextHooks,
  inContextVector,
  lastPositionActivations,
  meanDifference,
  pairedPrincipalComponent,
  steer,
} from './steering.js';
export { type TraceHeatmapOptions, traceHeatmap } from './trace-heatmap.js';
export {
  type CausalTrace,
  type Corruption,
  causalTrace,
  type MetricTrace,
  prepareTrace,
  type TraceComponent,
  type TraceGrid,
  type TraceMetrics,
  type Tracer,
  type TraceTarget,
  tracePoint,
} from './tracing.js';
export { fitTunedLens, lensKL, TunedLens } from './tuned-lens.js';
