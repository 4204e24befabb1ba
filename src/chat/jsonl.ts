// Fine-tuning files: JSON Lines, one {"messages": [...], "tools"?: [...]} per line (OpenAI's format).
import { readJsonLines } from '../data/index.js';
import { CONVERSATION_SCHEMA, type Conversation } from './messages.js';

/** Every conversation of a JSONL file; an error names the file, the line and the field. */
export function readConversations(path: string): Conversation[] {
  return readJsonLines(path, CONVERSATION_SCHEMA, 'conversations') as Conversation[];
}

/** Conversations as JSONL text. */
export function conversationsToJSONL(conversations: readonly Conversation[]): string {
  return `${conversations.map((c) => JSON.stringify(c)).join('\n')}\n`;
}
