// The built-in world's facts as a tool: the lookup the world's conversations teach models to call. Its
// manual is the very one the model was trained with, so the prompt it sees is the one it learned.
import { LOOKUP_TOOL, type World } from '../../data/index.js';
import { manualTool } from './manual.js';

export function lookupTool(world: World) {
  return manualTool<{ subject: string; relation: string }>(LOOKUP_TOOL, ({ subject, relation }) => {
    const found = world.facts.filter((f) => f.subject === subject && f.relation === relation);
    return found.length ? found.map((f) => f.object).join(', ') : `no ${relation} is known for ${subject}`;
  });
}
