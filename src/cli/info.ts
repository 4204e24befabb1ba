// `jielong info`: what the engine runs on here.
import { availableParallelism } from 'node:os';
import { backend, getNumThreads, nativeAvailable } from '../backend/index.js';

export function info(args: string[]): void {
  if (args.includes('--help')) {
    console.log(
      'usage: jielong info\n\nPrints the active backend (JIELONG_BACKEND), native threads (JIELONG_THREADS) and cores.',
    );
    return;
  }
  console.log(`backend:  ${backend().name}`);
  console.log(`native:   ${nativeAvailable() ? 'built' : 'not built (npm run build:native)'}`);
  console.log(`threads:  ${getNumThreads()} of ${availableParallelism()} cores`);
  console.log(`node:     ${process.version}`);
}
