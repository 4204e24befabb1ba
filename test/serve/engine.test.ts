// The engine's bookkeeping with known outcomes: cancelling, time limits, the queue limit, stop strings
// and tokens, and that a slot freed by one sequence is taken by the next in the queue.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LanguageModel, makeConfig } from '../../src/model/index.js';
import { Engine, type EngineEvent, type GenerationRequest, QueueFullError } from '../../src/serve/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';

const tokenizer = CharTokenizer.fromText('abcdefgh ');
const model = new LanguageModel(
  makeConfig({ vocabSize: tokenizer.vocabSize, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 8 }),
  { seed: 2 },
);

const request = (over: Partial<GenerationRequest> = {}): GenerationRequest => ({
  prompt: tokenizer.encode('abc'),
  maxTokens: 10,
  sampling: { temperature: 1 },
  seed: 1,
  stop: [],
  stopTokens: [],
  logprobs: null,
  ...over,
});

async function collect(events: AsyncIterable<EngineEvent>, onToken?: () => void) {
  let text = '';
  for await (const e of events) {
    if (e.type === 'token') {
      text += e.text;
      onToken?.();
    }
    if (e.type === 'error') throw e.error;
    if (e.type === 'done') return { text, ...e };
  }
  throw new Error('no done event');
}

describe('Engine', () => {
  test('max tokens, then the slot goes to the next request in the queue', async () => {
    const engine = new Engine(model, tokenizer, { maxBatch: 1 });
    const [a, b] = await Promise.all([
      collect(engine.submit(request())),
      collect(engine.submit(request({ seed: 2 }))),
    ]);
    assert.deepEqual(
      [a.reason, a.completionTokens, b.reason, b.completionTokens],
      ['length', 10, 'length', 10],
    );
    assert.equal(tokenizer.encode(a.text).length, 10);
    assert.equal(engine.active + engine.queued, 0);
  });

  test('an aborted request ends at the next step, reason cancelled', async () => {
    const engine = new Engine(model, tokenizer);
    const abort = new AbortController();
    const r = await collect(engine.submit(request({ maxTokens: 1000, signal: abort.signal })), () =>
      abort.abort(),
    );
    assert.equal(r.reason, 'cancelled');
    assert.ok(r.completionTokens <= 2, `${r.completionTokens} tokens`);
  });

  test('a request past its deadline ends with reason timeout, in the queue or running', async () => {
    const engine = new Engine(model, tokenizer);
    const queued = await collect(
      engine.submit(request({ maxTokens: 1000, deadline: performance.now() - 1 })),
    );
    assert.deepEqual([queued.reason, queued.completionTokens], ['timeout', 0]);
    // A context of 4096 tokens takes far longer than 5 ms to fill, one turn of the loop per token.
    const long = new LanguageModel(
      makeConfig({ vocabSize: tokenizer.vocabSize, blockSize: 4096, nLayer: 1, nHead: 2, nEmbd: 8 }),
    );
    const slow = new Engine(long, tokenizer);
    const running = await collect(
      slow.submit(request({ maxTokens: 100000, deadline: performance.now() + 5 })),
    );
    assert.equal(running.reason, 'timeout');
  });

  test('the queue holds maxQueue requests beyond the free slots; more are refused', () => {
    const engine = new Engine(model, tokenizer, { maxBatch: 1, maxQueue: 1 });
    engine.submit(request());
    engine.submit(request());
    assert.throws(() => engine.submit(request()), QueueFullError);
    engine.close();
  });

  test('a stop token ends the reply unseen; a stop string is cut off', async () => {
    const engine = new Engine(model, tokenizer);
    const greedy = await collect(engine.submit(request({ sampling: { temperature: 0 }, maxTokens: 20 })));
    const first = tokenizer.encode(greedy.text)[3];
    const byToken = await collect(
      engine.submit(request({ sampling: { temperature: 0 }, maxTokens: 20, stopTokens: [first] })),
    );
    assert.equal(byToken.reason, 'stop');
    assert.equal(byToken.text, greedy.text.slice(0, greedy.text.indexOf(tokenizer.decode([first]))));
    const stop = greedy.text.slice(5, 7);
    const byString = await collect(
      engine.submit(request({ sampling: { temperature: 0 }, maxTokens: 20, stop: [stop] })),
    );
    assert.equal(byString.reason, 'stop');
    assert.equal(byString.text, greedy.text.slice(0, greedy.text.indexOf(stop)));
  });

  test('the context ends a generation: reason length at blockSize', async () => {
    const engine = new Engine(model, tokenizer);
    const r = await collect(engine.submit(request({ maxTokens: 1000 })));
    assert.equal(r.reason, 'length');
    assert.equal(r.promptTokens + r.completionTokens, 32 + 1);
  });
});
