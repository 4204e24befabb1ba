// The native pool pins its workers, and its caller only while jobs follow each other: the caller's CPU mask
// is inherited by every thread it creates later (libuv's pool, worker threads), and a library must not
// leave its host's shrunk.
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

test('after 2-thread matmuls the calling thread gets its CPU mask back', {
  skip: !linux || !nativeAvailable() || availableParallelism() < 2 ? 'needs Linux, the addon, 2 CPUs' : false,
}, async () => {
  const before = mainThreadCpus();
  setBackend('native');
  setNumThreads(2);
  const a = randn([256, 256]);
  for (let i = 0; i < 20; i++) matmul(a, a);
  // The pool gives the mask back once it has idled 20 ms; the deadline leaves room for a loaded machine.
  const deadline = Date.now() + 5000;
  while (mainThreadCpus() !== before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(mainThreadCpus(), before);
});
