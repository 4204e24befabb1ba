// Fine-tuning files: JSON Lines, one {"messages": [...], "tools"?: [...]} per line (OpenAI's format).
import { readTextFile } from '../data/index.js';
import { CONVERSATION_SCHEMA, type Conversation } from './messages.js';

/** Every conversation of a JSONL file; an error names the file, the line and the field. */
export function readConversations(path: string): Conversation[] {
  const out: Conversation[] = [];
  readTextFile(path)
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      const where = `${path}:${i + 1}`;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (e) {
        throw new Error(`${where}: not a JSON line (${(e as Error).message})`);
      }
      const parsed = CONVERSATION_SCHEMA.safeParse(raw, { reportInput: true });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${where}: ${issue.path.join('.') || 'the line'} ${issue.message}`);
      }
      out.push(parsed.data as Conversation);
    });
  if (out.length === 0) throw new Error(`${path}: holds no conversations`);
  return out;
}

/** Conversations as JSONL text. */
export function conversationsToJSONL(conversations: readonly Conversation[]): string {
  return `${conversations.map((c) => JSON.stringify(c)).join('\n')}\n`;
}
