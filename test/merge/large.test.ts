// Merging models larger than memory: `jielong merge` over three synthetic 1 GiB safetensors files (sparse
// on disk, a few known values planted in each tensor) must finish in the memory of a few tensors, and put
// the known values where the recipe says.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile, safetensorsPieces, type TensorOut } from '../../src/io/index.js';

const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jielong-merge-large-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TENSORS = 64;
const SHAPE = [1024, 4096]; // 16 MiB of float32 each: 1 GiB a file
const BYTES = SHAPE[0] * SHAPE[1] * 4;
const name = (i: number) => `model.layers.${i}.mlp.weight`;

/** A safetensors file of zeros but for `value` at the first and last entry of every tensor. */
function synthetic(path: string, value: number): void {
  const infos = new Map<string, TensorOut>();
  for (let i = 0; i < TENSORS; i++)
    infos.set(name(i), { dtype: 'F32', shape: SHAPE, bytes: () => new Uint8Array() });
  const header = safetensorsPieces(infos).next().value as Uint8Array;
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    ftruncateSync(fd, header.length + TENSORS * BYTES); // a hole: no disk, reads as zeros
    const file = new Float32Array([value]);
    const bytes = new Uint8Array(file.buffer);
    // The pieces' order is the header's (names sorted); only the first and last values of each are set.
    const order = [...infos.keys()].sort();
    for (const [k] of order.entries()) {
      writeSync(fd, bytes, 0, 4, header.length + k * BYTES);
      writeSync(fd, bytes, 0, 4, header.length + (k + 1) * BYTES - 4);
    }
  } finally {
    closeSync(fd);
  }
}

test('3 GiB of models merge in a few hundred MiB: task arithmetic over 1 GiB files, tensor by tensor', () => {
  const [base, a, b] = ['base', 'a', 'b'].map((n) => join(dir, `${n}.safetensors`));
  synthetic(base, 1);
  synthetic(a, 3);
  synthetic(b, -1);
  const recipe = join(dir, 'recipe.yml');
  writeFileSync(
    recipe,
    `merge_method: task_arithmetic
base_model: ${base}
models:
  - model: ${a}
    parameters: { weight: 0.5 }
  - model: ${b}
    parameters: { weight: 0.25 }
`,
  );
  const out = join(dir, 'merged');
  const r = spawnSync(process.execPath, [BIN, 'merge', recipe, '--out', out, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.tensors, TENSORS);
  assert.ok(report.bytes > TENSORS * BYTES, `${report.bytes} bytes written`);
  // Three inputs of 1 GiB each: all in memory would be 3 GiB; tensor by tensor needs a few 16 MiB tensors.
  assert.ok(report.peakRssMiB < 400, `peak RSS ${report.peakRssMiB} MiB`);
  // 1 + 0.5·(3 − 1) + 0.25·(−1 − 1) = 1.5 at the planted entries, 0 elsewhere.
  const merged = new SafetensorsFile(join(out, 'model.safetensors'));
  try {
    for (const i of [0, 37, TENSORS - 1]) {
      const t = merged.read(name(i)).data;
      assert.deepEqual([t[0], t[1], t[t.length - 2], t[t.length - 1]], [1.5, 0, 0, 1.5], name(i));
    }
  } finally {
    merged.close();
  }
});
