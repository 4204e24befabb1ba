// Tools that fit no task (book_flight, translate_email, ...), for choosing among many: each answers that
// it has nothing to do with the question.
import type { ToolSet } from 'ai';
import { distractorTools } from '../../data/index.js';
import { manualTool } from './manual.js';

export function distractors(count: number, seed = 0): ToolSet {
  return Object.fromEntries(
    distractorTools(count, seed).map((spec) => [
      spec.function.name,
      manualTool(spec, () => `${spec.function.name} has nothing to say about that`),
    ]),
  );
}
