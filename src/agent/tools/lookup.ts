// The built-in world's facts as a tool: the lookup the world's conversations teach models/chat to call.
import { tool } from 'ai';
import { LOOKUP_TOOL, type World } from '../../data/index.js';
import { checkedSchema } from './manual.js';

export function lookupTool(world: World) {
  return tool({
    description: LOOKUP_TOOL.function.description,
    // The very schema the model was trained with, so the prompt it sees is the one it learned.
    inputSchema: checkedSchema<{ subject: string; relation: string }>(LOOKUP_TOOL.function.parameters),
    execute: async ({ subject, relation }) => {
      const found = world.facts.filter((f) => f.subject === subject && f.relation === relation);
      return found.length ? found.map((f) => f.object).join(', ') : `no ${relation} is known for ${subject}`;
    },
  });
}
