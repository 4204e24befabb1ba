// The agent's memory (the second lecture): a durable store, and the READ module that picks what to recall.
export {
  formatMemories,
  minMax,
  type ReadMemory,
  type ReadOptions,
  type ReadWeights,
  readMemories,
} from './read.js';
export {
  type HistoryEntry,
  type Memory,
  type MemoryKind,
  MemoryStore,
  type MemoryStoreOptions,
  type NewMemory,
} from './store.js';
