// REFLECTION (Generative Agents): once the importance of what was written since the last reflection sums
// past a threshold (150 by default), the model asks itself the most salient questions about the recent
// memories, reads the evidence for each (READ), and writes insights that cite the memories they came
// from. Insights are memories too (kind "insight"), so they are read, and reflected on, like any other.
import {
  formatInsight,
  importanceRequest,
  insightsRequest,
  parseImportance,
  parseInsights,
  parseQuestions,
  questionsRequest,
} from '../../chat/index.js';
import type { Embed } from '../tool-registry.js';
import type { Ask } from './ask.js';
import { readMemories } from './read.js';
import type { Memory, MemoryStore } from './store.js';

export interface ReflectOptions {
  ask: Ask;
  embed: Embed;
  at: Date;
  /** The recent memories the questions are about (default 100). */
  recent?: number;
  /** Questions asked (default 3). */
  questions?: number;
  /** Memories read as evidence per question (default 10). */
  evidence?: number;
}

/** Summed importance of the memories written since the last insight (or ever). */
export function importanceSinceReflection(store: MemoryStore): number {
  const all = store.all();
  const last = Math.max(0, ...all.filter((m) => m.kind === 'insight').map((m) => m.createdAt.getTime()));
  return all
    .filter((m) => m.createdAt.getTime() > last && m.kind === 'observation')
    .reduce((s, m) => s + m.importance, 0);
}

export const shouldReflect = (store: MemoryStore, threshold = 150): boolean =>
  importanceSinceReflection(store) >= threshold;

export interface Reflection {
  questions: string[];
  insights: Memory[];
}

export async function reflect(store: MemoryStore, options: ReflectOptions): Promise<Reflection> {
  const recent = store.all().slice(-(options.recent ?? 100));
  const questions = parseQuestions(
    await options.ask(questionsRequest(recent.map(line), options.questions ?? 3)),
  ).slice(0, options.questions ?? 3);
  const insights: Memory[] = [];
  for (const question of questions) {
    const [q] = await options.embed([question]);
    const evidence = readMemories(store, Float32Array.from(q), {
      now: options.at,
      k: options.evidence ?? 10,
    }).map((r) => line(r.memory));
    const found = parseInsights(
      await options.ask(insightsRequest(question, evidence)),
      evidence.map((e) => e.id),
    );
    for (const { text, cites } of found) {
      const importance = parseImportance(await options.ask(importanceRequest(text))) ?? 5;
      const [v] = await options.embed([text]);
      insights.push(
        store.add({
          text,
          kind: 'insight',
          importance,
          source: `reflection: ${formatInsight(question, cites)}`,
          at: options.at,
          embedding: Float32Array.from(v),
          cites,
        }),
      );
    }
  }
  return { questions, insights };
}

const line = (m: Memory) => ({ id: m.id, text: m.text });
