// Which checkpoint a command uses: --model DIR, else the small model that ships with jielong.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { recoverDirAtomic } from '../io/index.js';

/** models/tiny in the package: trained by jielong on its built-in corpus (see models/README.md). */
export const SHIPPED_MODEL = fileURLToPath(new URL('../../../models/tiny', import.meta.url));

/** models/agent: a chat model trained by jielong to call its tools and plan (jielong agent's default). */
export const SHIPPED_AGENT_MODEL = fileURLToPath(new URL('../../../models/agent', import.meta.url));

/** models/memory: models/agent fine-tuned to run its memory and act in the text world (--sft memory). */
export const SHIPPED_MEMORY_MODEL = fileURLToPath(new URL('../../../models/memory', import.meta.url));

export function modelDir(given: string | undefined): string {
  const dir = given ?? SHIPPED_MODEL;
  recoverDirAtomic(dir); // a save killed between its renames leaves the previous checkpoint beside it
  if (!existsSync(dir)) {
    throw new Error(
      given
        ? `no checkpoint at ${dir}`
        : `the shipped model ${dir} is missing; pass --model DIR (a folder written by jielong train)`,
    );
  }
  return dir;
}
