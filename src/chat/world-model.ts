// The questions a model answers as a world model, before the agent acts for real: what an action would
// lead to, and how well things stand. Written once here, as the memory modules' are (memory.ts).

/** What would be observed after `action`. */
export const predictRequest = (history: readonly string[], action: string): string =>
  `What happened so far:\n${history.join('\n')}\nIf the next action is "${action}", what will be observed? Answer with the observation only.`;

/** How well things stand, 0 to 10. */
export const valueRequest = (history: readonly string[]): string =>
  `What happened so far:\n${history.join('\n')}\nHow likely is it that this ends well, from 0 to 10? Answer with the number only.`;
