// Agents (the second lecture), built on the Vercel AI SDK: jielong models as its language models.

export {
  Agent,
  type AgentBudget,
  type AgentEvent,
  type AgentOptions,
  type AgentResult,
  AgentRun,
  type FinishedBecause,
} from './agent.js';
export { BM25, terms } from './bm25.js';
export { connectMcp, type McpConnection, mcpServer, serveMcp } from './mcp.js';
export { type PromptToolCallingOptions, promptToolCalling } from './prompt-tools.js';
export {
  JielongLanguageModel,
  type JielongModelOptions,
  type JielongModelParts,
  jielong,
  toMessages,
} from './provider.js';
export { type Embed, ToolRegistry, type ToolRegistryOptions } from './tool-registry.js';
export { builtinTools, calculator, clock, evaluate, lookupTool, readFileTool } from './tools/index.js';
export { describeEvent, formatTrace, readTrace, type TraceEntry, TraceWriter } from './trace.js';
