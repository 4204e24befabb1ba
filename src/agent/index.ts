// Agents (the second lecture), built on the Vercel AI SDK: jielong models as its language models.

export {
  Agent,
  type AgentBudget,
  type AgentEvent,
  type AgentOptions,
  type AgentResult,
  AgentRun,
  type FinishedBecause,
  type PlanReason,
} from './agent.js';
export { BM25, terms } from './bm25.js';
export { type Choose, likelihoodChoice, type ReplyScorer, replyChoice, replyLogProbs } from './choose.js';
export { type EndpointOptions, endpointEmbed, endpointModel } from './endpoint.js';
export {
  answers,
  type EvaluateOptions,
  evaluateTools,
  scoreOutcomes,
  type TaskOutcome,
  TOOL_CONDITIONS,
  type ToolCondition,
  type ToolScore,
} from './evaluate.js';
export { connectMcp, type McpConnection, mcpServer, serveMcp } from './mcp.js';
export {
  type Ask,
  askModel,
  type Community,
  communities,
  formatEdge,
  formatMemories,
  type GraphEdge,
  globalSearch,
  type HistoryEntry,
  hashedEmbed,
  importanceSinceReflection,
  knowledgeGraph,
  localSearch,
  type Memory,
  type MemoryKind,
  MemoryStore,
  type MemoryStoreOptions,
  minMax,
  mostSimilar,
  type NewEdge,
  type NewMemory,
  type ReadMemory,
  type ReadOptions,
  type ReadWeights,
  type Reflection,
  type ReflectOptions,
  readMemories,
  reflect,
  rememberFacts,
  shouldReflect,
  type WriteOptions,
  type WriteResult,
  writeMemory,
} from './memory/index.js';
export { type PromptToolCallingOptions, promptToolCalling } from './prompt-tools.js';
export {
  JielongLanguageModel,
  type JielongModelOptions,
  type JielongModelParts,
  jielong,
  jielongEmbed,
  toMessages,
} from './provider.js';
export { Sandbox, type SandboxLimits, type SandboxResult } from './sandbox/index.js';
export { learnTool, makeTool, skillTools, testTool } from './skills.js';
export {
  type AgentStep,
  type EpisodeResult,
  type EpisodesSummary,
  MEMORY_MODES,
  type MemoryMode,
  playEpisode,
  playEpisodes,
  summarise,
  type TextWorldAgentOptions,
} from './text-world-agent.js';
export { type Embed, ToolRegistry, type ToolRegistryOptions } from './tool-registry.js';
export {
  builtinTools,
  calculator,
  clock,
  clockTool,
  distractors,
  driveTool,
  evaluate,
  lookupTool,
  manualTool,
  readFileTool,
} from './tools/index.js';
export { describeEvent, formatTrace, readTrace, type TraceEntry, TraceWriter } from './trace.js';
export {
  type Conflict,
  type ConflictPolicy,
  instructionFlags,
  type ProvenancedResult,
  type ProvenancedTools,
  type ProvenanceOptions,
  type Resolution,
  resolveConflict,
  withProvenance,
} from './trust.js';
export {
  type Branch,
  type GuardOptions,
  guardIrreversible,
  languageWorldModel,
  type SearchOptions,
  type SearchResult,
  searchBeforeActing,
  type WorldModel,
} from './world-model.js';
