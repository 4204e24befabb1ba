// Chat: messages, the chat template and its tool-call format, and supervised fine-tuning data.
export { asChatModel, type ChatModel, chatTemplateFor } from './chat-model.js';
export { conversationsToJSONL, readConversations } from './jsonl.js';
export {
  communityRequest,
  formatInsight,
  formatTriple,
  formatWriteDecision,
  importanceRequest,
  insightsRequest,
  isNone,
  type MemoryLine,
  parseImportance,
  parseInsights,
  parseQuestions,
  parseTriples,
  parseWriteDecision,
  questionsRequest,
  reduceRequest,
  type Triple,
  triplesRequest,
  type WriteDecision,
  writeRequest,
} from './memory.js';
export {
  CONVERSATION_SCHEMA,
  type Conversation,
  MESSAGE_SCHEMA,
  type Message,
  type Role,
  TOOL_CALL_SCHEMA,
  TOOL_SCHEMA,
  type ToolCall,
  type ToolSpec,
} from './messages.js';
export { formatPlan, PLAN_REQUEST, parsePlan, withPlan } from './plan.js';
export { type TokenizedConversation, tokenizeConversation } from './sft.js';
export {
  formatWrittenTool,
  parseWrittenTool,
  type SkillTest,
  toolWritingRequest,
  type WrittenTool,
} from './skills.js';
export {
  CHATML_SPECIAL_TOKENS,
  CHATML_TEMPLATE,
  ChatTemplate,
  chatmlTokenizerConfig,
  chatmlToolBlock,
  chatmlToolCall,
  IM_END,
  IM_START,
  neutraliseSpecialTokens,
  pythonJson,
  type RenderOptions,
  TOOL_CALL_CLOSE,
  TOOL_CALL_OPEN,
} from './template.js';
export { type ActState, actRequest, parseAction } from './text-world.js';
export { type ParsedReply, parseToolCalls } from './tool-calls.js';
export {
  planTurn,
  type Reply,
  ReplyGate,
  readReply,
  type ToolChoice,
  type Turn,
  TurnError,
  type TurnRequest,
} from './turn.js';
export { predictRequest, valueRequest } from './world-model.js';
