// The date and time now: what a model cannot know from its weights. A clock given a fixed `now` reads
// the same every time, as evaluations need.
import { CLOCK_TOOL, formatClock } from '../../data/index.js';
import { manualTool } from './manual.js';

export const clockTool = (now: () => Date = () => new Date()) =>
  manualTool<Record<string, never>>(CLOCK_TOOL, () => formatClock(now()));

export const clock = clockTool();
