// Which model an agent command talks to: a jielong checkpoint in-process, or any OpenAI-compatible
// endpoint. The flags and their checks, written once for jielong agent and jielong agent text-world.
import { basename } from 'node:path';
import type { LanguageModel } from 'ai';
import { endpointModel, jielong } from '../agent/index.js';
import { loadCheckpoint } from '../train/index.js';
import { type Parsed, str } from './args.js';
import { modelDir } from './model-path.js';

export const MODEL_OPTIONS = {
  model: { type: 'string' },
  endpoint: { type: 'string' },
  'model-id': { type: 'string' },
  'api-key': { type: 'string' },
  completions: { type: 'boolean' },
} as const;

/** --endpoint (with --model-id) or --model DIR, else the shipped model `fallback`. */
export function chooseModel(p: Parsed, fallback: string): LanguageModel {
  const endpoint = str(p, 'endpoint');
  if (endpoint) {
    if (str(p, 'model')) throw new Error('--model and --endpoint exclude each other');
    const id = str(p, 'model-id');
    if (!id) throw new Error('--endpoint needs --model-id (GET /v1/models lists them)');
    const apiKey = str(p, 'api-key') ?? process.env.OPENAI_API_KEY;
    return endpointModel({
      baseURL: endpoint,
      modelId: id,
      apiKey,
      completions: p.values.completions === true,
    });
  }
  if (p.values.completions) throw new Error('--completions needs --endpoint');
  const dir = modelDir(str(p, 'model') ?? fallback);
  return jielong(loadCheckpoint(dir), { modelId: basename(dir) });
}
