// Byte-level BPE: exact round trips, training against a naive re-count, special tokens, bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteLevelBPE } from '../../src/tokenizer/index.js';
import { SAMPLES, TRAINING_TEXT } from './samples.js';

/**
 * The slow, obvious trainer: re-count every adjacent pair over all words at each step and merge the
 * most frequent, ties to the smaller (left id, right id). Bytes have their own value as id and merged
 * tokens 256, 257, ... The word split / ?[a-z]+|,|\n/ equals GPT-2's on TRAINING_TEXT.
 */
function referenceMerges(text: string, steps: number): { merges: string[][]; counts: number[] } {
  const wordCounts = new Map<string, number>();
  for (const w of text.match(/ ?[a-z]+|,|\n/g)!) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  let words = [...wordCounts].map(([w, n]) => ({ symbols: [...w].map((ch) => ch.charCodeAt(0)), n }));
  const names = (id: number): string =>
    id === 32 ? 'Ġ' : id === 10 ? 'Ċ' : id < 256 ? String.fromCharCode(id) : made[id - 256];
  const made: string[] = [];
  const merges: string[][] = [];
  const counts: number[] = [];
  for (let step = 0; step < steps; step++) {
    const pairs = new Map<string, number>();
    for (const { symbols, n } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const k = `${symbols[i]},${symbols[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + n);
      }
    }
    let best: [number, number, number] | null = null;
    for (const [k, n] of pairs) {
      const [a, b] = k.split(',').map(Number);
      if (!best || n > best[2] || (n === best[2] && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b, n];
      }
    }
    const [a, b, n] = best!;
    merges.push([names(a), names(b)]);
    counts.push(n);
    made.push(names(a) + names(b));
    const c = 255 + made.length;
    words = words.map(({ symbols, n }) => {
      const out: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === a && symbols[i + 1] === b) {
          out.push(c);
          i++;
        } else out.push(symbols[i]);
      }
      return { symbols: out, n };
    });
  }
  return { merges, counts };
}

test('training learns the most frequent pairs first, as a naive re-count does', () => {
  const steps = 40;
  const tok = ByteLevelBPE.train(TRAINING_TEXT, { vocabSize: 256 + steps });
  const ref = referenceMerges(TRAINING_TEXT, steps);
  assert.deepEqual(
    tok.merges.map((m) => [...m]),
    ref.merges,
  );
  // The first merge is the text's most frequent pair: 'he' (the, then, there, other, weather, ...).
  assert.deepEqual(tok.merges[0], ['h', 'e']);
  assert.equal(ref.counts[0], TRAINING_TEXT.split('he').length - 1);
  // A new pair is never more frequent than the pair whose merge made it, so counts never rise.
  assert.ok(ref.counts.every((n, i) => i === 0 || n <= ref.counts[i - 1]));
  assert.equal(tok.vocabSize, 256 + steps);
});

test('training handles runs where a pair overlaps itself (aaaa) as the re-count does', () => {
  const text = 'aaaa aaa aa a baaab abab aaaaaaa\nbbbb bb aab';
  const steps = 12;
  const tok = ByteLevelBPE.train(text, { vocabSize: 256 + steps });
  assert.deepEqual(
    tok.merges.map((m) => [...m]),
    referenceMerges(text, steps).merges,
  );
});

test('training is deterministic and puts special tokens last', () => {
  const options = { vocabSize: 300, specialTokens: ['<|endoftext|>', '<pad>'] };
  const a = ByteLevelBPE.train(TRAINING_TEXT, options);
  const b = ByteLevelBPE.train(TRAINING_TEXT, options);
  assert.deepEqual(a.merges, b.merges);
  assert.equal(a.vocabSize, 300);
  assert.equal(a.specialTokens.get('<|endoftext|>'), 298);
  assert.equal(a.specialTokens.get('<pad>'), 299);
  assert.equal(a.idToToken(299), '<pad>');
  assert.equal(a.idToToken(32), 'Ġ'); // byte tokens keep their byte value as id
});

test('special tokens in the training text are not learned from', () => {
  const text = `${TRAINING_TEXT}<|endoftext|>`.repeat(5);
  const tok = ByteLevelBPE.train(text, { vocabSize: 320, specialTokens: ['<|endoftext|>'] });
  assert.ok(
    tok.merges.every(([l, r]) => !/[<|>]/.test(l + r)),
    'a merge was learned from the special token',
  );
});

test('training stops early when no pair reaches minFrequency', () => {
  const tok = ByteLevelBPE.train('abab cd', { vocabSize: 1000, minFrequency: 2 });
  assert.deepEqual(tok.merges, [['a', 'b']]);
  assert.equal(tok.vocabSize, 257);
});

test('onProgress reports each merge against the planned total', () => {
  const seen: [number, number][] = [];
  ByteLevelBPE.train(TRAINING_TEXT, {
    vocabSize: 260,
    onProgress: (done, total) => seen.push([done, total]),
  });
  assert.deepEqual(seen, [
    [1, 4],
    [2, 4],
    [3, 4],
    [4, 4],
  ]);
});

test('encode then decode gives back the exact text, unseen characters included', () => {
  const tok = ByteLevelBPE.train(TRAINING_TEXT, { vocabSize: 320 });
  for (const text of SAMPLES) {
    const ids = tok.encode(text);
    assert.equal(tok.decode(ids), text, JSON.stringify(text));
    assert.deepEqual(tok.decodeBytes(ids), new TextEncoder().encode(text));
  }
  assert.deepEqual(tok.encode(''), []);
  // Merges compress: a training sentence takes fewer tokens than it has bytes.
  const line = TRAINING_TEXT.split('\n')[0];
  assert.ok(tok.encode(line).length < line.length / 2);
});

test('special tokens encode as single ids only when allowed', () => {
  const tok = ByteLevelBPE.train(TRAINING_TEXT, {
    vocabSize: 300,
    specialTokens: ['<|end|>', '<|endoftext|>'],
  });
  const end = tok.specialTokens.get('<|end|>')!;
  const eot = tok.specialTokens.get('<|endoftext|>')!;
  const text = 'the cat<|endoftext|>the dog<|end|>';
  assert.deepEqual(tok.encode(text), [...tok.encode('the cat'), eot, ...tok.encode('the dog'), end]);
  assert.deepEqual(tok.encode(text, { allowSpecial: true }), tok.encode(text));
  const plain = tok.encode(text, { allowSpecial: false });
  assert.ok(!plain.includes(eot) && !plain.includes(end));
  assert.equal(tok.decode(plain), text);
  assert.equal(tok.decode(tok.encode(text)), text);
  assert.equal(tok.tokenToId('<|endoftext|>'), eot);
});

test('bad input gets a clear error', () => {
  const tok = ByteLevelBPE.train(TRAINING_TEXT, { vocabSize: 260 });
  assert.throws(() => tok.encode('ok \uD83D then'), /encode: text has a lone surrogate \\uD83D at index 3/);
  assert.throws(() => tok.encode('\uDE00'), /lone surrogate \\uDE00 at index 0/);
  assert.throws(
    () => tok.decode([1, 260]),
    /token id 260 at position 1 is out of range \(ids run from 0 to 259\)/,
  );
  assert.throws(() => tok.decode([-1]), /token id -1 at position 0 is out of range/);
  assert.throws(() => tok.decode([1.5]), /token id 1.5 at position 0 is out of range/);
  assert.throws(() => tok.idToToken(999), /idToToken: token id 999 is out of range/);
  assert.throws(
    () => ByteLevelBPE.train('abc', { vocabSize: 256, specialTokens: ['<s>'] }),
    /at least 256 \+ 1/,
  );
  assert.throws(
    () => ByteLevelBPE.train('abc', { vocabSize: 300, specialTokens: ['<s>', '<s>'] }),
    /listed twice/,
  );
  assert.throws(
    () => ByteLevelBPE.train('abc', { vocabSize: 300, specialTokens: [''] }),
    /non-empty strings/,
  );
});
