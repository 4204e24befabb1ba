// Stop strings split across chunks, overlapping prefixes, several stop strings, and random chunkings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StopMatcher } from '../../src/generate/stop.js';
import { Generator } from '../../src/tensor/index.js';

function feed(stops: string[], chunks: string[]): { emits: string[]; stoppedAt: number; rest: string } {
  const m = new StopMatcher(stops);
  const emits: string[] = [];
  for (const [i, chunk] of chunks.entries()) {
    const { emit, stopped } = m.push(chunk);
    emits.push(emit);
    if (stopped) return { emits, stoppedAt: i, rest: m.flush() };
  }
  return { emits, stoppedAt: -1, rest: m.flush() };
}

test('text that cannot start a stop string is emitted at once', () => {
  assert.deepEqual(feed(['###'], ['hello #', '# x', ' done']), {
    emits: ['hello ', '## x', ' done'],
    stoppedAt: -1,
    rest: '',
  });
  assert.deepEqual(feed([], ['a', 'b']), { emits: ['a', 'b'], stoppedAt: -1, rest: '' });
});

test('a stop string split across chunks stops, and is not emitted', () => {
  assert.deepEqual(feed(['</s>'], ['abc</', 's>def']), { emits: ['abc', ''], stoppedAt: 1, rest: '' });
  assert.deepEqual(feed(['</s>'], ['ab', '<', '/', 's', '>']), {
    emits: ['ab', '', '', '', ''],
    stoppedAt: 4,
    rest: '',
  });
  assert.deepEqual(feed(['STOP'], ['one STOP two']), { emits: ['one '], stoppedAt: 0, rest: '' });
});

test('a false start is released when the next chunk rules it out, held text flushed at the end', () => {
  assert.deepEqual(feed(['</s>'], ['a</', 'b', '</']), {
    emits: ['a', '</b', ''],
    stoppedAt: -1,
    rest: '</',
  });
});

test('overlapping prefixes: only the tail that can still match is held', () => {
  // "ab" + "ab": the first "ab" can no longer start "abc", the second still can.
  assert.deepEqual(feed(['abc'], ['ab', 'ab', 'c']), { emits: ['', 'ab', ''], stoppedAt: 2, rest: '' });
  assert.deepEqual(feed(['aab'], ['a', 'a', 'a', 'b']), { emits: ['', '', 'a', ''], stoppedAt: 3, rest: '' });
});

test('with several stop strings the earliest completed one wins', () => {
  assert.deepEqual(feed(['END', '\n\n'], ['x\n', '\nEND']), { emits: ['x', ''], stoppedAt: 1, rest: '' });
  assert.deepEqual(feed(['abcd', 'bc'], ['ab', 'c']), { emits: ['', 'a'], stoppedAt: 1, rest: '' });
  assert.deepEqual(feed(['xyz', 'y'], ['axy']), { emits: ['ax'], stoppedAt: 0, rest: '' });
});

test('any chunking gives the one-shot answer, holding back only possible stop prefixes', () => {
  const g = new Generator(4);
  const stops = ['aab', 'ba', 'cc'];
  for (let trial = 0; trial < 300; trial++) {
    const text = Array.from({ length: 1 + g.randint(12) }, () => 'abc'[g.randint(3)]).join('');
    const hits = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
    const expected = hits.length > 0 ? text.slice(0, Math.min(...hits)) : text;
    const m = new StopMatcher(stops);
    let pushed = '';
    let emitted = '';
    let stopped = false;
    for (let at = 0; at < text.length && !stopped; ) {
      const chunk = text.slice(at, at + 1 + g.randint(4));
      at += chunk.length;
      pushed += chunk;
      const out = m.push(chunk);
      emitted += out.emit;
      stopped = out.stopped;
      if (!stopped) {
        const held = pushed.slice(emitted.length);
        assert.equal(pushed.slice(0, emitted.length), emitted);
        assert.ok(held === '' || stops.some((s) => s.startsWith(held) && s !== held), `held ${held}`);
      }
    }
    if (!stopped) emitted += m.flush();
    assert.equal(emitted, expected, `text ${JSON.stringify(text)}`);
    assert.equal(stopped, hits.length > 0);
  }
});

test('misuse is rejected', () => {
  assert.throws(() => new StopMatcher(['ok', '']), /StopMatcher: stop strings must be non-empty/);
  const m = new StopMatcher(['x']);
  assert.equal(m.push('ax').stopped, true);
  assert.throws(() => m.push('more'), /push after a stop string already matched/);
});
