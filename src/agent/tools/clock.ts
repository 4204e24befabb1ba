// The date and time now: what a model cannot know from its weights.
import { tool } from 'ai';
import { z } from 'zod';

export const clock = tool({
  description: 'The current date and time (ISO 8601, UTC)',
  inputSchema: z.object({}),
  execute: async () => new Date().toISOString(),
});
