// The questions an agent's memory modules put to its model, and how the answers are read. Written once here
// so the agent that asks (src/agent/memory) and the data that teaches the answers agree on every character.
//   importance  Generative Agents' 1-10 rating of a new memory
//   write       Mem0's choice for a new fact against the similar memories: ADD, UPDATE, DELETE or NOOP
//   reflection  the most salient questions about recent memories, then insights that cite their evidence
//   graph       the facts of an observation as triples; a question put to each community's facts, then
//               the partial answers combined (global search)

/** A memory as the model is shown it: its id in brackets, then its text. */
export interface MemoryLine {
  id: number;
  text: string;
}

const lines = (memories: readonly MemoryLine[]) =>
  memories.length ? memories.map((m) => `[${m.id}] ${m.text}`).join('\n') : '(none)';

export const importanceRequest = (text: string): string =>
  `On a scale of 1 to 10, where 1 is purely mundane (eating breakfast) and 10 is extremely poignant (a move to another country), rate how important this memory is.\nMemory: ${text}\nRating:`;

/** The first whole number of the reply, when it is 1..10. */
export function parseImportance(reply: string): number | null {
  const m = reply.match(/\d+/);
  const n = m ? Number(m[0]) : Number.NaN;
  return n >= 1 && n <= 10 ? n : null;
}

export type WriteDecision =
  | { op: 'ADD' }
  | { op: 'UPDATE'; id: number; text: string }
  | { op: 'DELETE'; id: number }
  | { op: 'NOOP' };

export const writeRequest = (fact: string, similar: readonly MemoryLine[]): string =>
  `New fact: ${fact}\nSimilar memories:\n${lines(similar)}\nAnswer ADD if the fact is new, UPDATE <id>: <text> if it changes or adds to a memory, DELETE <id> if it contradicts a memory that is no longer true, or NOOP if a memory already says it.`;

export function formatWriteDecision(d: WriteDecision): string {
  if (d.op === 'UPDATE') return `UPDATE ${d.id}: ${d.text}`;
  if (d.op === 'DELETE') return `DELETE ${d.id}`;
  return d.op;
}

/** The decision in a reply, or why it is not one (an id the request did not offer among them). */
export function parseWriteDecision(
  reply: string,
  offered: readonly number[],
): WriteDecision | { error: string } {
  const text = reply.trim();
  const m = text.match(/^(ADD|NOOP|DELETE|UPDATE)\b\s*(\d+)?\s*:?\s*([\s\S]*)$/i);
  if (!m) return { error: `not a decision: ${JSON.stringify(text.slice(0, 80))}` };
  const op = m[1].toUpperCase() as WriteDecision['op'];
  if (op === 'ADD' || op === 'NOOP') return { op };
  const id = Number(m[2]);
  if (!m[2] || !offered.includes(id)) {
    return {
      error: `${op} names memory ${m[2] ?? '(none)'}, not one of those offered (${offered.join(', ') || 'none'})`,
    };
  }
  if (op === 'DELETE') return { op, id };
  const updated = m[3].trim();
  return updated ? { op, id, text: updated } : { error: `UPDATE ${id} gives no new text` };
}

export const questionsRequest = (memories: readonly MemoryLine[], count: number): string =>
  `Memories:\n${lines(memories)}\nGiven only the memories above, what are the ${count} most salient high-level questions we can answer about the subjects in them? One question per line.`;

/** The questions of a reply, one per line, numbering taken off. */
export function parseQuestions(reply: string): string[] {
  return reply
    .split('\n')
    .map((s) => s.replace(/^\s*(?:\d+[.)]|[-*•])\s*/, '').trim())
    .filter((s) => s.length > 0);
}

export const insightsRequest = (question: string, evidence: readonly MemoryLine[]): string =>
  `Statements:\n${lines(evidence)}\nWhat high-level insights answer "${question}"? Write each on its own line as: insight (because of <ids>)`;

export const formatInsight = (text: string, cites: readonly number[]): string =>
  `${text} (because of ${cites.join(', ')})`;

/**
 * The insights of a reply, each with the statements it cites: only ids among `evidence` count, and an
 * insight that cites none of them is dropped (an insight must come from memories).
 */
export function parseInsights(
  reply: string,
  evidence: readonly number[],
): { text: string; cites: number[] }[] {
  const out: { text: string; cites: number[] }[] = [];
  for (const line of reply.split('\n')) {
    const m = line.trim().match(/^(?:\d+[.)]\s*|[-*•]\s*)?(.+?)\s*\(because of ([\d,\s]+)\)\s*\.?$/i);
    if (!m) continue;
    const cites = [
      ...new Set(
        m[2]
          .split(/[,\s]+/)
          .filter(Boolean)
          .map(Number),
      ),
    ].filter((id) => evidence.includes(id));
    if (cites.length > 0) out.push({ text: m[1], cites });
  }
  return out;
}

/** A fact as the knowledge graph keeps it: subject, relation, object. */
export interface Triple {
  subject: string;
  relation: string;
  object: string;
}

export const triplesRequest = (observation: string): string =>
  `Observation: ${observation}\nList the facts it states, one per line, as: subject | relation | object`;

export const formatTriple = (t: Triple): string => `${t.subject} | ${t.relation} | ${t.object}`;

/** The triples of a reply: lines of three non-empty parts split by "|"; anything else is skipped. */
export function parseTriples(reply: string): Triple[] {
  return reply.split('\n').flatMap((line) => {
    const parts = line.split('|').map((p) => p.trim().replace(/^[-*•]\s*/, ''));
    return parts.length === 3 && parts.every((p) => p.length > 0)
      ? [{ subject: parts[0], relation: parts[1], object: parts[2] }]
      : [];
  });
}

/** Global search's map step: a question against one community's facts. */
export const communityRequest = (question: string, facts: readonly string[]): string =>
  `Facts:\n${facts.join('\n')}\nUsing only the facts above, answer: ${question}\nIf they do not answer it, say NONE.`;

/** Global search's reduce step: the partial answers into one. */
export const reduceRequest = (question: string, partials: readonly string[]): string =>
  `Partial answers:\n${partials.map((p) => `- ${p}`).join('\n')}\nCombine them into one answer to: ${question}`;

/** A map answer that says nothing. */
export const isNone = (reply: string): boolean => /^\s*none\b/i.test(reply);
