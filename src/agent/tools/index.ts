// The tools `jielong agent` gives a model: a calculator, the built-in world's facts, a clock, and a file
// reader confined to one folder.
import { generateWorld } from '../../data/index.js';
import { calculator } from './calculator.js';
import { clock } from './clock.js';
import { lookupTool } from './lookup.js';
import { readFileTool } from './read-file.js';

export { calculator, evaluate } from './calculator.js';
export { clock } from './clock.js';
export { lookupTool } from './lookup.js';
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
