// `jielong import PATH --out CHECKPOINT`: a model in another format (src/interop/formats.ts) as a jielong
// checkpoint, which generate, eval, lens and train --init-from then use like any other.
import { existsSync } from 'node:fs';
import { detectFormat, FORMATS, formatNamed } from '../interop/index.js';
import type { ModelConfig } from '../model/index.js';
import { saveCheckpoint } from '../train/index.js';
import { parse, str } from './args.js';

const USAGE = `usage: jielong import PATH --out CHECKPOINT

Reads a model in another format and writes it as a jielong checkpoint.

formats:
${FORMATS.map((f) => `  ${f.name.padEnd(6)} ${f.summary}`).join('\n')}

  --out DIR          the checkpoint folder to write (required)
  --format FORMAT    the format of PATH (default: recognised from PATH)
  --force            replace DIR if it exists`;

const OPTIONS = {
  out: { type: 'string' },
  format: { type: 'string' },
  force: { type: 'boolean' },
} as const;

const describe = (c: ModelConfig, parameters: number) =>
  `${c.nLayer} layers, ${c.nHead} heads, width ${c.nEmbd}, vocabulary ${c.vocabSize}, context ${c.blockSize}, ` +
  `${c.norm} + ${c.mlp} + ${c.positions} positions, ${(parameters / 1e6).toFixed(2)}M parameters`;

export function importCommand(args: string[]): void {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  const out = str(p, 'out');
  if (!out) throw new Error('--out is required: the checkpoint folder to write');
  if (p.positionals.length !== 1)
    throw new Error(
      `expected one path to import, got ${p.positionals.length} arguments (jielong import --help)`,
    );
  const [from] = p.positionals;
  if (!existsSync(from)) throw new Error(`${from} does not exist`);
  if (existsSync(out) && !p.values.force) throw new Error(`${out} exists; pass --force to replace it`);
  const name = str(p, 'format');
  const format = name ? formatNamed(name) : detectFormat(from);
  const { model, tokenizer, tokenizerConfig } = format.import(from);
  saveCheckpoint(out, { model, tokenizer, tokenizerConfig });
  console.log(`imported ${from} (${format.name}): ${describe(model.config, model.numParameters())}`);
  console.log(`checkpoint in ${out}`);
}
