// jielong import and export end to end: an HF folder becomes a checkpoint that generate and eval use, and
// goes back out as an HF folder holding the same tensors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { safetensorsHeader } from '../../src/io/index.js';

const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/hf/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jielong-cli-interop-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function jielong(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, JIELONG_THREADS: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('import an HF folder, generate and eval from it, export it back', () => {
  const ckpt = join(dir, 'llama');
  const imported = jielong('import', join(FIXTURES, 'llama'), '--out', ckpt);
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stdout, /\(hf\): 2 layers, 4 heads, width 32, vocabulary 40, context 1024, rmsnorm/);
  const gen = jielong('generate', '--model', ckpt, '--prompt', 'the ', '--max-tokens', '8', '--seed', '1');
  assert.equal(gen.status, 0, gen.stderr);
  assert.ok(gen.stdout.startsWith('the '));
  const text = join(dir, 'text.txt');
  writeFileSync(text, 'the cat sat on the mat. '.repeat(20));
  const ev = jielong('eval', '--model', ckpt, '--data', text, '--iters', '1', '--batch-size', '1');
  assert.equal(ev.status, 0, ev.stderr);

  const out = join(dir, 'llama-hf');
  const exported = jielong('export', '--format', 'hf', ckpt, out);
  assert.equal(exported.status, 0, exported.stderr);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.architectures, ['LlamaForCausalLM']);
  // Grouped-query attention comes back out as full multi-head attention.
  assert.equal(config.num_key_value_heads, 4);
  const header = safetensorsHeader(readFileSync(join(out, 'model.safetensors'))).tensors;
  assert.deepEqual(header.get('model.layers.1.self_attn.v_proj.weight')?.shape, [32, 32]);
  const again = jielong('import', out, '--out', join(dir, 'again'), '--format', 'hf');
  assert.equal(again.status, 0, again.stderr);
});

test('export a checkpoint as GGUF (f32 and q8_0) and import it back by its magic', () => {
  const ckpt = fileURLToPath(new URL('../../../models/chat', import.meta.url)); // byte-level BPE, chat template
  for (const dtype of ['f32', 'q8_0']) {
    const file = join(dir, `gpt2-${dtype}.gguf`);
    const exported = jielong('export', '--format', 'gguf', '--dtype', dtype, ckpt, file);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stdout, new RegExp(`as gguf \\(${dtype}\\)`));
    const back = jielong('import', file, '--out', join(dir, `from-${dtype}`));
    assert.equal(back.status, 0, back.stderr);
    assert.match(back.stdout, /\(gguf\): 4 layers, 4 heads, width 128/);
    const gen = jielong(
      'generate',
      '--model',
      join(dir, `from-${dtype}`),
      '--prompt',
      'the ',
      '--max-tokens',
      '4',
    );
    assert.equal(gen.status, 0, gen.stderr);
  }
});

test('import and export refuse bad arguments with one line each', () => {
  const ckpt = join(dir, 'gpt2');
  assert.equal(jielong('import', join(FIXTURES, 'gpt2'), '--out', ckpt).status, 0);
  const cases: [string[], RegExp][] = [
    [['export', ckpt, join(dir, 'x')], /--format is required \(hf, gguf\)/],
    [['export', '--format', 'onnx', ckpt, join(dir, 'x')], /unknown format "onnx" \(formats: hf, gguf\)/],
    [
      ['export', '--format', 'gguf', '--dtype', 'q4_0', ckpt, join(dir, 'x')],
      /--dtype q4_0: gguf writes f32, f16, q8_0/,
    ],
    [['export', '--format', 'hf', ckpt], /expected a checkpoint and an output path, got 1 arguments/],
    [['export', '--format', 'hf', ckpt, ckpt], /exists; pass --force to replace it/],
    [['import', join(FIXTURES, 'gpt2')], /--out is required/],
    [['import', join(FIXTURES, 'gpt2'), '--out', ckpt], /exists; pass --force to replace it/],
    [['import', ckpt, '--out', join(dir, 'y')], /is in no format jielong imports \(hf: Hugging Face folder/],
    [['import', join(dir, 'nothing'), '--out', join(dir, 'y')], /nothing does not exist/],
  ];
  for (const [args, message] of cases) {
    const r = jielong(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
  const forced = jielong('import', join(FIXTURES, 'gpt2'), '--out', ckpt, '--force');
  assert.equal(forced.status, 0, forced.stderr);
});
