// Chat models end to end from the CLI: fine-tune the shipped base model on a JSONL file of conversations
// (it gains the chat template and its special tokens), resume it, chat with it through stdin.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../../src/train/index.js';

const BIN = fileURLToPath(new URL('../../../bin/jielong.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jielong-chat-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function jielong(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, JIELONG_THREADS: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const data = join(dir, 'chats.jsonl');
const out = join(dir, 'chat-model');
writeFileSync(
  data,
  `${[
    {
      messages: [
        { role: 'user', content: 'Where was Ada Lin born' },
        { role: 'assistant', content: 'Ada Lin was born in Fallowmere.' },
      ],
    },
    {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
      ],
    },
  ]
    .map((c) => JSON.stringify(c))
    .join('\n')}\n`,
);

test('train --sft FILE --init-from: a base model becomes a chat model, and resumes', () => {
  const r = jielong([
    'train',
    '--sft',
    data,
    '--init-from',
    fileURLToPath(new URL('../../../models/tiny', import.meta.url)),
    '--iters',
    '2',
    '--eval-interval',
    '2',
    '--eval-iters',
    '1',
    '--batch-size',
    '2',
    '--out',
    out,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /chat template: added 4 special tokens/);
  assert.match(r.stdout, /1 train \/ 1 val conversations/);
  const { tokenizer, tokenizerConfig } = loadCheckpoint(out);
  assert.equal(tokenizerConfig?.eos_token, '<|im_end|>');
  assert.ok(tokenizer.specialTokens.has('<|im_start|>'));
  const trainer = JSON.parse(readFileSync(join(out, 'trainer.json'), 'utf8'));
  assert.deepEqual(trainer.source, { kind: 'sft-file', path: data });
  const resumed = jielong(['train', '--resume', '--iters', '3', '--out', out]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, /done: 3 iters/);
});

test('jielong chat: replies, /system, /probs, /reset, /quit', () => {
  const r = jielong(
    ['chat', '--model', out, '--max-tokens', '5', '--temperature', '0'],
    'Hi\n/probs 2\nHi\n/system Be brief.\n/reset\n/nope\n/quit\nnot read\n',
  );
  assert.equal(r.status, 0, r.stderr);
  const replies = r.stdout.split('\n').filter((l) => l.startsWith('assistant: '));
  assert.equal(replies.length, 2);
  assert.match(r.stdout, /\(showing the 2 most likely tokens at each step\)/);
  assert.match(r.stdout, /\n {2}".*" p=\d\.\d\d \| ".*" \d+\.\d% {2}".*" \d+\.\d%/);
  assert.match(r.stdout, /\(system: Be brief\.\)/);
  assert.match(r.stdout, /\(conversation cleared\)/);
  assert.match(r.stdout, /unknown command \/nope/);
});

test('errors: a bad JSONL line is named; a base model cannot chat; --sft excludes --data', () => {
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(
    bad,
    '{"messages": [{"role": "user", "content": "x"}]}\n{"messages": [{"role": "robot", "content": "x"}]}\n',
  );
  const r = jielong(['train', '--sft', bad, '--iters', '1', '--out', join(dir, 'x')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.jsonl:2: messages\.0\.role/);
  const base = jielong(['chat'], 'Hi\n');
  assert.equal(base.status, 1);
  assert.match(base.stderr, /has no chat template .*jielong train --sft world --init-from/);
  const both = jielong(['train', '--sft', 'world', '--data', bad]);
  assert.match(both.stderr, /--data does not apply with --sft world/);
});
