// Sparse autoencoders on a model's hook points: the module, and SAELens's layout on disk.

export {
  type FeatureContext,
  type FeatureReport,
  type FeatureReportOptions,
  featurePagesHtml,
  featureReports,
} from './pages.js';
export { SAE_ARCHITECTURES, type SaeArchitecture, type SaeConfig, SparseAutoencoder } from './sae.js';
export { loadSae, SAE_CONFIG_FILE, SAE_WEIGHTS_FILE, saveSae } from './saelens.js';
export {
  ActivationBuffer,
  type ActivationSource,
  evaluateSae,
  type SaeMetrics,
  SaeTrainer,
  type SaeTrainOptions,
  trainSae,
} from './train.js';
export { bestFeature, type ConceptMatch, groundTruth, relationWords } from './truth.js';
