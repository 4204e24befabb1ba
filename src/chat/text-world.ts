// How an agent in the text world (src/data/text-world.ts) asks its model for the next action, and how the
// reply is read. The prompt is the agent's whole state: what it recalls from earlier episodes (memories,
// newest first), what it has seen in this one, what it carries, where it is and what it can do. Written
// once here, so the agent that asks (src/agent/text-world-agent.ts) and the data that teaches the answers
// (src/data/memory-chats.ts) agree on every character.

export interface ActState {
  /** Memories recalled for this step, newest first. */
  memories: readonly string[];
  /** The rooms not yet seen this episode (a list to take the first of, not a set difference to work out). */
  unseen: readonly string[];
  /** The last observations of this episode, oldest first (the current one is `observation`). */
  recent: readonly string[];
  carrying: readonly string[];
  observation: string;
  actions: readonly string[];
}

const list = (xs: readonly string[], none: string) => (xs.length ? xs.join(', ') : none);

export const actRequest = (s: ActState): string =>
  [
    `Memories:\n${s.memories.length ? s.memories.map((m) => `- ${m}`).join('\n') : '(none)'}`,
    `Earlier this episode:\n${s.recent.length ? s.recent.map((m) => `- ${m}`).join('\n') : '(nothing)'}`,
    `Not yet seen: ${list(s.unseen, 'none')}. Carrying: ${list(s.carrying, 'nothing')}.`,
    `Now: ${s.observation}`,
    `Actions: ${s.actions.join('; ')}`,
    'Which action? Answer with the action only.',
  ].join('\n');

/** The action a reply names: one of `actions` exactly (case and a final full stop aside), else null. */
export function parseAction(reply: string, actions: readonly string[]): string | null {
  const said = reply.trim().split('\n')[0].trim().toLowerCase().replace(/\.$/, '');
  return actions.find((a) => a.toLowerCase() === said) ?? null;
}
