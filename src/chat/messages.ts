// Chat messages in OpenAI's wire shape (role, content, tool_calls, tool_call_id), which is also the shape
// of fine-tuning JSONL ({"messages": [...]}) and what chat templates are written against.
import { z } from 'zod';

export const TOOL_CALL_SCHEMA = z.strictObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1), arguments: z.string() }),
});

export type ToolCall = z.infer<typeof TOOL_CALL_SCHEMA>;

// Content may be a string or OpenAI's list of text parts; jielong models read text only.
const TEXT_PARTS = z.array(z.looseObject({ type: z.literal('text'), text: z.string() }));
const content = z
  .union([z.string(), TEXT_PARTS])
  .transform((c) => (typeof c === 'string' ? c : c.map((p) => p.text).join('')));

export const MESSAGE_SCHEMA = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content }),
  z
    .looseObject({ role: z.literal('developer'), content })
    .transform((m) => ({ ...m, role: 'system' as const })),
  z.looseObject({ role: z.literal('user'), content }),
  z.looseObject({
    role: z.literal('assistant'),
    content: content.nullable().optional(),
    tool_calls: z.array(TOOL_CALL_SCHEMA).optional(),
    // OpenAI's fine-tuning format: weight 0 keeps a turn in the context but out of the loss.
    weight: z.union([z.literal(0), z.literal(1)]).optional(),
  }),
  z.looseObject({ role: z.literal('tool'), content, tool_call_id: z.string().optional() }),
]);

export type Message =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content?: string | null; tool_calls?: ToolCall[]; weight?: 0 | 1 }
  | { role: 'tool'; content: string; tool_call_id?: string };

export type Role = Message['role'];

/** A tool as OpenAI's `tools` list gives it. */
export const TOOL_SCHEMA = z.strictObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be 1-64 letters, digits, _ or -' }),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

export type ToolSpec = z.infer<typeof TOOL_SCHEMA>;

/** One conversation of a fine-tuning JSONL file (OpenAI's format), optionally with the tools it may call. */
export const CONVERSATION_SCHEMA = z.looseObject({
  messages: z.array(MESSAGE_SCHEMA).min(1, { error: 'must hold at least one message' }),
  tools: z.array(TOOL_SCHEMA).optional(),
});

export interface Conversation {
  messages: Message[];
  tools?: ToolSpec[];
}
