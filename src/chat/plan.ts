// A plan as an agent keeps it: a list of steps the model wrote when asked, shown to it in the system
// message while it acts. Written once here so the agent that asks and the data that teaches the asking
// (the built-in world's road trips) agree on every character.

/** The user turn that asks for a plan, after the conversation so far. */
export const PLAN_REQUEST = 'Make a plan.';

/** A plan's steps as one line: "Ashford -> Brill -> Dunmore". */
export const formatPlan = (steps: readonly string[]): string => steps.join(' -> ');

/**
 * The steps of a model's plan: "a -> b -> c" on one line, or one step per line with the numbering or
 * bullets that models write ("1. a", "- b") taken off.
 */
export function parsePlan(text: string): string[] {
  const trimmed = text.trim();
  const parts = trimmed.includes('->') && !trimmed.includes('\n') ? trimmed.split('->') : trimmed.split('\n');
  return parts.map((s) => s.replace(/^\s*(?:\d+[.)]|[-*•])\s*/, '').trim()).filter((s) => s.length > 0);
}

/** The system message the model acts under: its instructions, then the plan. */
export const withPlan = (instructions: string | undefined, steps: readonly string[]): string =>
  `${instructions ? `${instructions}\n\n` : ''}Plan: ${formatPlan(steps)}`;
