// The agent's memory (the second lecture): a durable store, READ (what to recall now), WRITE (what to keep,
// as ADD, UPDATE, DELETE or NOOP), REFLECTION (insights drawn from memories, citing them) and the knowledge
// graph whose edges remember when they held.
export { type Ask, askModel } from './ask.js';
export {
  type Community,
  communities,
  formatEdge,
  globalSearch,
  knowledgeGraph,
  localSearch,
  rememberFacts,
} from './graph.js';
export { hashedEmbed } from './hashed.js';
export {
  formatMemories,
  minMax,
  type ReadMemory,
  type ReadOptions,
  type ReadWeights,
  readMemories,
} from './read.js';
export {
  importanceSinceReflection,
  type Reflection,
  type ReflectOptions,
  reflect,
  shouldReflect,
} from './reflect.js';
export {
  type GraphEdge,
  type HistoryEntry,
  type Memory,
  type MemoryKind,
  MemoryStore,
  type MemoryStoreOptions,
  type NewEdge,
  type NewMemory,
} from './store.js';
export { mostSimilar, type WriteOptions, type WriteResult, writeMemory } from './write.js';
