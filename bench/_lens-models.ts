// The models the lens benches study: trained once on the built-in world (BPE names as whole tokens, every
// fact written 24 times, 1500 request documents, 4 layers of width 128) into out/bench/<bench>/<mixer>,
// about 5 to 10 minutes each on 2 cores, and reused; --retrain trains them again.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LanguageModel } from '../src/model/index.js';
import type { Tokenizer } from '../src/tokenizer/index.js';
import { loadCheckpoint } from '../src/train/index.js';
import { progress } from './_report.js';

const retrain = process.argv.includes('--retrain');

/** The recipe, with `extra` flags for the corpus (e.g. --two-hop 24). */
export const lensRecipe = (mixer: string, out: string, extra: readonly string[] = []): string[] => [
  ...`train --corpus-seed 1 --fact-passes 24 --requests 1500 --tokenizer bpe --vocab-size 1024 --iters 3000 --batch-size 16 --block-size 64 --n-layer 4 --n-head 4 --n-embd 128 --eval-interval 1000 --mixer ${mixer} --out ${out}`.split(
    ' ',
  ),
  ...extra,
];

/** The bench's model for a mixer, trained first when it is not there yet. */
export function lensModel(
  bench: string,
  mixer: string,
  extra: readonly string[] = [],
): { model: LanguageModel; tokenizer: Tokenizer } {
  const dir = join('out', 'bench', bench, mixer);
  if (retrain || !existsSync(join(dir, 'checkpoint.json'))) {
    progress(`training the ${mixer} model into ${dir}`);
    const run = spawnSync(process.execPath, ['bin/jielong.js', ...lensRecipe(mixer, dir, extra)], {
      stdio: ['ignore', 2, 2],
    });
    if (run.status !== 0) throw new Error(`training the ${mixer} model failed`);
  }
  const { model, tokenizer } = loadCheckpoint(dir);
  return { model: model.eval(), tokenizer };
}
