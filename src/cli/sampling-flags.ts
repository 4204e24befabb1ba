// The dice's flags, shared by the commands that write text (generate, chat).
import type { GenerateOptions } from '../generate/index.js';
import { num, type Parsed } from './args.js';

export const SAMPLING_USAGE = `  --max-tokens N           tokens to generate (default 200)
  --temperature X          0 = greedy (default 0.8)
  --top-k N  --top-p X  --min-p X  --repetition-penalty X   sampling filters (off by default)
  --seed N                 seed of the dice (default 0)`;

export const SAMPLING_OPTIONS = {
  'max-tokens': { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'min-p': { type: 'string' },
  'repetition-penalty': { type: 'string' },
  seed: { type: 'string' },
} as const;

export function samplingOptions(p: Parsed): GenerateOptions {
  return {
    maxTokens: num(p, 'max-tokens', 200, { integer: true, min: 1 }),
    temperature: num(p, 'temperature', 0.8, { min: 0 }),
    topK: num(p, 'top-k', 0, { integer: true, min: 0 }),
    topP: num(p, 'top-p', 1, { above: 0, max: 1 }),
    minP: num(p, 'min-p', 0, { min: 0, max: 1 }),
    repetitionPenalty: num(p, 'repetition-penalty', 1, { above: 0 }),
    seed: num(p, 'seed', 0, { integer: true, min: 0 }),
  };
}
