// The native pool may pin its own workers, never its caller: the caller's CPU mask is inherited by every
// thread it creates later (libuv's pool, worker threads), and a library must not shrink its host's.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { nativeAvailable, setBackend, setNumThreads } from '../../src/backend/index.js';
import { matmul, randn } from '../../src/tensor/index.js';

/** Cpus_allowed_list of this process's main thread (its task id is the process id). */
const mainThreadCpus = () =>
  readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8').match(/Cpus_allowed_list:\s*(\S+)/)?.[1];

const linux = existsSync('/proc/self/task');

test('a 2-thread matmul leaves the calling thread free to run on every CPU', {
  skip: !linux || !nativeAvailable() || availableParallelism() < 2 ? 'needs Linux, the addon, 2 CPUs' : false,
}, () => {
  const before = mainThreadCpus();
  setBackend('native');
  setNumThreads(2);
  matmul(randn([256, 256]), randn([256, 256]));
  assert.equal(mainThreadCpus(), before);
});
