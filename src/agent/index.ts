// Agents (the second lecture), built on the Vercel AI SDK: jielong models as its language models.
export {
  JielongLanguageModel,
  type JielongModelOptions,
  type JielongModelParts,
  jielong,
  toMessages,
} from './provider.js';
