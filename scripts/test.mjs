// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner, which ends with the
// pass/fail summary CI reads. Arguments filter test files by substring: npm test -- matmul
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const files = readdirSync('dist/test', { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => process.argv.slice(2).every((want) => f.includes(want)))
  .map((f) => join('dist/test', f))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--expose-gc', '--test', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
