// Serving: an OpenAI-compatible HTTP server over a jielong model, with continuous batching.

export { embed } from './embeddings.js';
export {
  Engine,
  type EngineEvent,
  type EngineOptions,
  type FinishReason,
  type GenerationRequest,
  QueueFullError,
} from './engine.js';
export { type RunningServer, type ServeOptions, serve } from './server.js';
