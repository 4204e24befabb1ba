// The agent's memory (the second lecture): a durable store, READ (what to recall now), WRITE (what to keep,
// as ADD, UPDATE, DELETE or NOOP) and REFLECTION (insights drawn from memories, citing them).
export { type Ask, askModel } from './ask.js';
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
  type HistoryEntry,
  type Memory,
  type MemoryKind,
  MemoryStore,
  type MemoryStoreOptions,
  type NewMemory,
} from './store.js';
export { mostSimilar, type WriteOptions, type WriteResult, writeMemory } from './write.js';
