// Exact prompts for probing a trained model: the text of a fact sentence up to the entity asked for.
import type { Fact } from './facts.js';
import { FACT_TEMPLATES, renderFact } from './templates.js';

export interface PromptCase {
  prompt: string;
  /** With its leading space, as it follows the prompt in the text. */
  answer: string;
}

/** Which end of the fact the prompt asks for: the object ("Ada Lin was born in" -> " Rivermouth") or the
 * subject ("The capital of Norland is" -> " Rivermouth" for Rivermouth capital_of Norland). */
export type PromptTarget = 'object' | 'subject';

/** The canonical probe for a fact: "Ada Lin was born in" -> " Rivermouth". */
export function factPrompt(fact: Fact): PromptCase {
  return promptFrom(fact, FACT_TEMPLATES[fact.relation][0], 'object')!;
}

/** Every phrasing that ends with the target: paraphrased probes for the same fact. */
export function factPrompts(fact: Fact, target: PromptTarget = 'object'): PromptCase[] {
  return FACT_TEMPLATES[fact.relation].flatMap((t) => promptFrom(fact, t, target) ?? []);
}

function promptFrom(fact: Fact, template: string, target: PromptTarget): PromptCase | null {
  const slot = target === 'object' ? ' {o}.' : ' {s}.';
  if (!template.endsWith(slot)) return null;
  return {
    prompt: renderFact(fact, template.slice(0, -slot.length)),
    answer: ` ${target === 'object' ? fact.object : fact.subject}`,
  };
}
