// `jielong merge RECIPE --out DIR`: models merged by a mergekit-style YAML recipe, tensor by tensor.
import { existsSync, readFileSync } from 'node:fs';
import { MERGE_METHODS, mergeModels, parseRecipe } from '../merge/index.js';
import { duration, num, parse, str } from './args.js';

const USAGE = `usage: jielong merge RECIPE.yml --out DIR

Merges models with no training data, by a recipe in mergekit's YAML: merge_method (${MERGE_METHODS.join(', ')}),
base_model, models with parameters (weight, density, gamma, epsilon; a number, a layer gradient, or
[{ filter, value }]), or slices with layer_range; global parameters (lambda, normalize, t), dtype,
tokenizer_source. Models are jielong checkpoints, Hugging Face folders or .safetensors files, read one
tensor at a time: models larger than memory merge in the memory of one tensor per model.

  --out DIR          the merged model's folder (required; a jielong checkpoint when the base is one)
  --seed N           DARE's and DELLA's random drops (default 0)
  --force            replace DIR if it exists
  --no-verify        merge jielong checkpoints without checking their checksums
  --json             print the report as one JSON object`;

const OPTIONS = {
  out: { type: 'string' },
  seed: { type: 'string' },
  force: { type: 'boolean' },
  'no-verify': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export function mergeCommand(args: string[]): void {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  if (p.positionals.length !== 1)
    throw new Error(`expected one recipe file, got ${p.positionals.length} arguments (jielong merge --help)`);
  const [file] = p.positionals;
  const out = str(p, 'out');
  if (!out) throw new Error('--out DIR is required');
  if (existsSync(out) && !p.values.force) throw new Error(`${out} exists; pass --force to replace it`);
  if (!existsSync(file)) throw new Error(`recipe ${file} does not exist`);
  const recipe = parseRecipe(readFileSync(file, 'utf8'), file);
  const json = p.values.json === true;
  const started = performance.now();
  let shown = 0;
  const report = mergeModels(recipe, {
    out,
    recipeFile: file,
    seed: num(p, 'seed', 0, { integer: true }),
    verify: !p.values['no-verify'],
    onProgress: ({ done, total, tensor, bytes }) => {
      const now = performance.now();
      if (json || (now - shown < 1000 && done < total)) return;
      shown = now;
      const seconds = (now - started) / 1000;
      const eta = (seconds / done) * (total - done);
      console.error(
        `  ${done}/${total} tensors  ${(bytes / 2 ** 20).toFixed(0)} MiB  ${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s  ETA ${duration(eta)}  ${tensor}`,
      );
    },
  });
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  if (json) console.log(JSON.stringify({ ...report, method: recipe.merge_method, peakRssMiB }));
  else
    console.log(
      `merged by ${recipe.merge_method} into ${out} (${report.format === 'jielong' ? 'jielong checkpoint' : 'Hugging Face folder'}): ` +
        `${report.tensors} tensors, ${report.layers} layers, ${(report.bytes / 2 ** 20).toFixed(1)} MiB in ${report.seconds.toFixed(1)} s, peak memory ${peakRssMiB.toFixed(0)} MiB`,
    );
}
