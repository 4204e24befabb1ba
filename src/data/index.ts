// The data layer's public face: a seeded world with known facts and the text written from it, token files,
// the train/val split and next-token batches.
export {
  type Batch,
  type Batches,
  BatchSampler,
  type BatchSamplerOptions,
  type BatchSamplerState,
} from './batch-sampler.js';
export { ConversationSampler, samplerFor, type TrainingChat } from './conversation-sampler.js';
export {
  CALCULATOR_TOOL,
  type ConversationOptions,
  LOOKUP_TOOL,
  worldConversations,
} from './conversations.js';
export { type Corpus, type CorpusDocument, type CorpusOptions, generateCorpus } from './corpus.js';
export { type EntityKind, type Fact, factKey, RELATIONS, type Relation, type RelationInfo } from './facts.js';
export { INJECTIONS, plainResults } from './injections.js';
export {
  bestAction,
  knownFrom,
  type MemoryChatOptions,
  memoryConversations,
  type Recalled,
  type Reveals,
  revealsOf,
  TEXT_WORLD_FUNCTIONAL,
  textWorldImportance,
  textWorldInsights,
  textWorldTriples,
} from './memory-chats.js';
export { type MqarBatch, type MqarOptions, mqarBatch } from './mqar.js';
export { factPrompt, factPrompts, type PromptCase, type PromptTarget } from './prompts.js';
export {
  isHeldOut,
  isRefusal,
  peopleOf,
  REFUSAL,
  REQUEST_TEMPLATES,
  type RequestCase,
  type RequestClass,
  type RequestSplit,
  requestCases,
} from './requests.js';
export {
  arrivedReply,
  DRIVE_TOOL,
  detourRequest,
  neighbours,
  type PlanningStrategy,
  ROUTE_INSTRUCTIONS,
  type RoadMap,
  RoadTrip,
  roadKey,
  roadMap,
  roadTripConversations,
  routeGoal,
  shortestRoute,
} from './roads.js';
export { trainValSplit } from './split.js';
export { escapeRegExp, FACT_TEMPLATES, renderFact } from './templates.js';
export { readJsonLines, readTextFile } from './text-file.js';
export { type Outcome, type StepResult, TextWorld, type TextWorldOptions } from './text-world.js';
export {
  readTokenFile,
  type TokenArray,
  type TokenDtype,
  type TokenEncoder,
  tokenDtype,
  tokenizeToFile,
  writeTokenFile,
} from './token-file.js';
export {
  type AgentConversationOptions,
  agentConversations,
  CLOCK_TOOL,
  distractorTools,
  formatClock,
  TASK_TOOLS,
  type ToolTask,
  type ToolTaskKind,
  type ToolTaskOptions,
  taskChat,
  toolExamples,
  toolTasks,
} from './tool-tasks.js';
export {
  TWO_HOP_CHAINS,
  type TwoHopChain,
  type TwoHopQuestion,
  twoHopQuestions,
  twoHopSentence,
} from './two-hop.js';
export { corpusWindows } from './windows.js';
export {
  type City,
  type Country,
  type Gender,
  generateWorld,
  type Person,
  type World,
  type WorldOptions,
} from './world.js';
