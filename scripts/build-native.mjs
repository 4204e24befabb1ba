// Builds the native addon with node-gyp (run by `npm install`). A failed build is not an install failure:
// jielong then runs on its js backend and says so once at start.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.JIELONG_SKIP_NATIVE === '1') {
  console.log('jielong: JIELONG_SKIP_NATIVE=1, not building the native addon');
  process.exit(0);
}
// npm hands its scripts the path of its bundled node-gyp; run directly, use the one npm ships beside node.
const gyp =
  process.env.npm_config_node_gyp ??
  join(
    dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
const result = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.warn('jielong: the native addon did not build; everything will run on the (slower) js backend.');
}
