// The tools `jielong agent` gives a model: a calculator, the built-in world's facts, a clock, and a file
// reader confined to one folder; and the planning study's road trips and the distractors of tool choice.
import { generateWorld } from '../../data/index.js';
import { calculator } from './calculator.js';
import { clock } from './clock.js';
import { lookupTool } from './lookup.js';
import { readFileTool } from './read-file.js';

export { calculator, evaluate } from './calculator.js';
export { clock, clockTool } from './clock.js';
export { distractors } from './distractors.js';
export { driveTool } from './drive.js';
export { lookupTool } from './lookup.js';
export { manualTool } from './manual.js';
export { readFileTool } from './read-file.js';

/** The built-in tools; read_file only when a folder is given. */
export function builtinTools(options: { worldSeed?: number; files?: string } = {}) {
  return {
    calculator,
    lookup: lookupTool(generateWorld(options.worldSeed ?? 1)),
    clock,
    ...(options.files ? { read_file: readFileTool(options.files) } : {}),
  };
}
