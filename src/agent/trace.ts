// A run's trace: every event with the milliseconds since the run began, one JSON line each, written as
// it happens (a run that dies leaves the trace up to that point), and printed readably.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { AgentEvent } from './agent.js';

export interface TraceEntry {
  /** Milliseconds since the run began. */
  t: number;
  event: AgentEvent;
}

export class TraceWriter {
  private readonly started = performance.now();
  constructor(readonly path: string) {
    writeFileSync(path, '');
  }
  write(event: AgentEvent): void {
    appendFileSync(
      this.path,
      `${JSON.stringify({ t: Math.round(performance.now() - this.started), event })}\n`,
    );
  }
}

/** The entries of a trace file; a line that is not one is named. */
export function readTrace(path: string): TraceEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((line, i) => {
      let entry: TraceEntry;
      try {
        entry = JSON.parse(line);
      } catch {
        throw new Error(`${path}:${i + 1}: not a JSON line`);
      }
      if (typeof entry?.t !== 'number' || typeof entry.event?.type !== 'string')
        throw new Error(`${path}:${i + 1}: not a trace entry ({ t, event: { type, ... } })`);
      return entry;
    });
}

const short = (v: unknown, n = 200) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > n ? `${s.slice(0, n)}...` : s;
};

/** One event as a line for people (text deltas are joined by the caller). */
export function describeEvent(e: AgentEvent): string {
  switch (e.type) {
    case 'step':
      return `step ${e.step}`;
    case 'text':
      return e.text;
    case 'tool-call':
      return `-> ${e.toolName}(${short(e.input)})`;
    case 'tool-result':
      return `<- ${e.toolName}: ${short(e.output)}`;
    case 'tool-error':
      return `<- ${e.toolName} failed: ${e.error}`;
    case 'tools':
      return `tools shown: ${e.names.join(', ')}`;
    case 'prompt':
      return `prompt: ${e.messages.length} messages${e.system ? `, system ${short(e.system, 80)}` : ''}`;
    case 'usage':
      return `usage: ${e.inputTokens} tokens in, ${e.outputTokens} out (${e.finishReason})`;
    case 'plan':
      return `plan ${e.revision} (${e.reason}): ${e.steps.join(' -> ')}`;
    case 'interrupt':
      return `(interrupted: ${e.text})`;
    case 'final':
      return `final (${e.reason}${e.error ? `: ${e.error}` : ''}; ${e.steps} steps, ${e.tokens} tokens): ${e.text}`;
  }
}

/** A trace as text: a line per event, with its time; a step's text deltas on one line. */
export function formatTrace(entries: readonly TraceEntry[]): string {
  const lines: string[] = [];
  let text: { t: number; text: string } | null = null;
  const flush = () => {
    if (text) lines.push(`${String(text.t).padStart(7)} ms  "${text.text}"`);
    text = null;
  };
  for (const { t, event } of entries) {
    if (event.type === 'text') {
      text ??= { t, text: '' };
      text.text += event.text;
      continue;
    }
    flush();
    lines.push(`${String(t).padStart(7)} ms  ${describeEvent(event)}`);
  }
  flush();
  return lines.join('\n');
}
