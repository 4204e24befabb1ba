// `jielong export --format F CHECKPOINT DIR`: a checkpoint written in another format (src/interop/formats.ts).
import { existsSync } from 'node:fs';
import { FORMATS, formatNamed } from '../interop/index.js';
import { loadCheckpoint } from '../train/index.js';
import { parse, str } from './args.js';
import { modelDir } from './model-path.js';

const USAGE = `usage: jielong export --format FORMAT CHECKPOINT OUT

Writes a jielong checkpoint in another format, to load elsewhere.

formats:
${FORMATS.map((f) => `  ${f.name.padEnd(6)} ${f.summary}`).join('\n')}

  --format FORMAT    (required)
  --dtype TYPE       number type of the weights: ${FORMATS.map((f) => `${f.name} ${f.dtypes.join('|')}`).join('; ')} (default the first)
  --force            replace OUT if it exists
  --no-verify        load a checkpoint without checkpoint.json (nothing checks its files)`;

const OPTIONS = {
  format: { type: 'string' },
  dtype: { type: 'string' },
  force: { type: 'boolean' },
  'no-verify': { type: 'boolean' },
} as const;

export function exportCommand(args: string[]): void {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  const name = str(p, 'format');
  if (!name) throw new Error(`--format is required (${FORMATS.map((f) => f.name).join(', ')})`);
  const format = formatNamed(name);
  if (p.positionals.length !== 2)
    throw new Error(
      `expected a checkpoint and an output path, got ${p.positionals.length} arguments (jielong export --help)`,
    );
  const [from, out] = p.positionals;
  const dtype = str(p, 'dtype') ?? format.dtypes[0];
  if (!format.dtypes.includes(dtype))
    throw new Error(`--dtype ${dtype}: ${format.name} writes ${format.dtypes.join(', ')}`);
  if (existsSync(out) && !p.values.force) throw new Error(`${out} exists; pass --force to replace it`);
  const { model, tokenizer, tokenizerConfig } = loadCheckpoint(modelDir(from), {
    verify: !p.values['no-verify'],
  });
  format.export({ model, tokenizer, tokenizerConfig }, out, dtype);
  console.log(`exported ${from} as ${format.name} (${dtype}) to ${out}`);
}
