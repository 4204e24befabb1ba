// `npm run bench -- NAME [--json] [options]`: runs bench/NAME.ts (compiled to dist/bench/NAME.js).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const [name, ...rest] = process.argv.slice(2);
const available = readdirSync('bench')
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--json]\nbenches: ${available.join(', ')}`);
  process.exit(2);
}
const script = `dist/bench/${name}.js`;
if (!existsSync(script)) {
  console.error(`${script} is missing: run npm run build`);
  process.exit(1);
}
const result = spawnSync(process.execPath, [script, ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
