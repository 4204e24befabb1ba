// The sandbox against code that tries to get out: the host's process, require, import, fetch and globals
// are not there; prototype pollution stays inside one call; infinite loops, memory bombs, deep recursion
// and huge outputs are cut off with their kind named; the host and the next call are unharmed.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Sandbox } from '../../src/agent/index.js';

const sandbox = new Sandbox();
after(() => sandbox.close());

describe('code runs', () => {
  test('main(input) with JSON in and out', async () => {
    const r = await sandbox.run('function main({ a, b }) { return { sum: a + b, list: [a, b] }; }', {
      a: 2,
      b: 40,
    });
    assert.deepEqual(r, { ok: true, value: { sum: 42, list: [2, 40] } });
  });

  test("an exception is the call's error, with its message", async () => {
    const r = await sandbox.run('function main() { throw new TypeError("no such city"); }', null);
    assert.deepEqual(r, { ok: false, kind: 'error', message: 'TypeError: no such city' });
    const syntax = await sandbox.run('function main( {', null);
    assert.equal(syntax.ok, false);
    assert.match((syntax as { message: string }).message, /SyntaxError/);
  });

  test('input that is not JSON is refused before anything runs', async () => {
    const r = await sandbox.run('function main(x) { return x; }', { big: 10n });
    assert.equal(r.ok, false);
    assert.equal((r as { kind: string }).kind, 'input');
  });
});

describe('escapes are denied', () => {
  const probes: [string, string][] = [
    ['process', 'typeof process'],
    ['require', 'typeof require'],
    ['fetch', 'typeof fetch'],
    ['timers', 'typeof setTimeout + typeof setInterval + typeof queueMicrotask'],
    ['the host global', 'typeof globalThis.process + typeof globalThis.Buffer + typeof globalThis.global'],
    ['std and os modules', 'typeof std + typeof os + typeof scriptArgs'],
    ['Function constructor reaching out', '(new Function("return typeof process"))()'],
  ];
  for (const [name, expr] of probes) {
    test(`no ${name}`, async () => {
      const r = await sandbox.run(`function main() { return ${expr}; }`, null);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.doesNotMatch(String((r as { value: unknown }).value), /object|function/);
    });
  }

  test('no modules: a static import cannot load, a dynamic one loads nothing', async () => {
    const staticImport = await sandbox.run('import fs from "fs"; function main() { return 1; }', null);
    assert.equal(staticImport.ok, false);
    assert.match((staticImport as { message: string }).message, /could not load module 'fs'/);
    const dynamic = await sandbox.run(
      'function main() { let got = "nothing"; import("fs").then((m) => { got = typeof m.readFileSync; }); return got; }',
      null,
    );
    assert.deepEqual(dynamic, { ok: true, value: 'nothing' });
  });

  test('prototype pollution stays inside its call and never reaches the host', async () => {
    const r = await sandbox.run(
      'function main() { Object.prototype.polluted = "yes"; Array.prototype.map = null; return ({}).polluted; }',
      null,
    );
    assert.deepEqual(r, { ok: true, value: 'yes' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(typeof [].map, 'function');
    const next = await sandbox.run(
      'function main() { return [({}).polluted ?? "clean", typeof [].map]; }',
      null,
    );
    assert.deepEqual(next, { ok: true, value: ['clean', 'function'] });
  });

  test('a JSON input with __proto__ is data, not a prototype', async () => {
    const r = await sandbox.run(
      'function main(x) { return [({}).isAdmin ?? false, Object.keys(x)]; }',
      JSON.parse('{"__proto__": {"isAdmin": true}}'),
    );
    assert.equal(r.ok, true);
    assert.equal((r as { value: unknown[] }).value[0], false);
  });
});

describe('runaway code is cut off and the host goes on', () => {
  test('an infinite loop: timeout', async () => {
    const started = Date.now();
    const r = await sandbox.run('function main() { for (;;) {} }', null, { timeoutMs: 200 });
    assert.deepEqual(r.ok ? r : { ok: r.ok, kind: r.kind }, { ok: false, kind: 'timeout' });
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  test('a memory bomb of many objects: memory', async () => {
    const r = await sandbox.run(
      'function main() { const a = []; for (;;) a.push({ x: a.length, y: [1, 2, 3] }); }',
      null,
      { memoryBytes: 8 * 1024 * 1024 },
    );
    assert.deepEqual(r.ok ? r : { ok: r.ok, kind: r.kind }, { ok: false, kind: 'memory' });
  });

  test('a memory bomb of large arrays: cut off (QuickJS fails slowly there, the watchdog stops it)', async () => {
    const started = Date.now();
    const r = await sandbox.run(
      'function main() { const a = []; for (;;) a.push(new Float64Array(100000)); }',
      null,
      {
        memoryBytes: 8 * 1024 * 1024,
        timeoutMs: 300,
      },
    );
    assert.equal(r.ok, false);
    assert.ok(['memory', 'timeout'].includes((r as { kind: string }).kind));
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  test('deep recursion: stack', async () => {
    const r = await sandbox.run('function main() { const f = (n) => f(n + 1) + 1; return f(0); }', null);
    assert.deepEqual(r.ok ? r : { ok: r.ok, kind: r.kind }, { ok: false, kind: 'stack' });
  });

  test('a huge output: output', async () => {
    const r = await sandbox.run('function main() { return "x".repeat(2000000); }', null, {
      maxOutputBytes: 100_000,
    });
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /output of 2000002 bytes, over the limit of 100000/);
  });

  test('after all of that, the next call runs as usual', async () => {
    assert.deepEqual(await sandbox.run('function main(n) { return n * 2; }', 21), { ok: true, value: 42 });
  });
});
