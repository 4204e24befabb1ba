// The serving engine: continuous batching. Requests wait in a queue; each turn of the loop admits as
// many as there are free slots (prefilling each prompt), then runs ONE forward for every active sequence
// together, samples each one's next token with its own dice and stops, and streams it to its request.
// A sequence that finishes (stop, length, time limit, client gone) frees its slot at once for the next in
// the queue, so a long reply never holds up a short one behind it.
import {
  type SamplingOptions,
  SequenceBatch,
  StopMatcher,
  sampleToken,
  topKProbs,
} from '../generate/index.js';
import type { LanguageModel } from '../model/index.js';
import { Generator } from '../tensor/index.js';
import { StreamDecoder, type Tokenizer, tokenPiece } from '../tokenizer/index.js';
import { Channel } from './channel.js';

export interface GenerationRequest {
  prompt: number[];
  maxTokens: number;
  sampling: SamplingOptions;
  seed: number;
  /** Stop strings: generation ends before them, they are not returned. */
  stop: readonly string[];
  /** Tokens that end generation (the chat template's end of turn); not returned as text. */
  stopTokens: readonly number[];
  /** How many alternatives to report per token with their log-probabilities; null: no log-probabilities. */
  logprobs: number | null;
  /** Ends the generation (the client disconnected). */
  signal?: AbortSignal;
  /** performance.now() time after which the generation ends with reason 'timeout'. */
  deadline?: number;
}

export type FinishReason = 'stop' | 'length' | 'timeout' | 'cancelled';

export interface TokenLogprob {
  token: number;
  /** The token's own text (a partial character shows as U+FFFD). */
  piece: string;
  logprob: number;
}

export type EngineEvent =
  | {
      type: 'token';
      /** The text now known to be part of the reply (held back while it may start a stop string). */
      text: string;
      logprob?: TokenLogprob & { top: TokenLogprob[] };
    }
  | { type: 'done'; reason: FinishReason; promptTokens: number; completionTokens: number }
  | { type: 'error'; error: Error };

export interface EngineOptions {
  /** Sequences decoded together at most (default 16). */
  maxBatch?: number;
  /** Requests waiting for a slot at most; more are refused (default 256). */
  maxQueue?: number;
}

/** Refused because the queue is full: the server answers 429. */
export class QueueFullError extends Error {}

interface Sequence {
  req: GenerationRequest;
  out: Channel<EngineEvent>;
  generator: Generator;
  /** Prompt and generated ids (the repetition penalty looks back over them). */
  ids: number[];
  generated: number;
  decoder: StreamDecoder;
  stops: StopMatcher;
  /** The token to feed at the next step. */
  next: number;
  /** A stop string completed (what the matcher held back is not part of the reply). */
  stopped: boolean;
}

export class Engine {
  private readonly batch: SequenceBatch;
  private readonly maxQueue: number;
  /** The sequence in each active slot. */
  private live: Sequence[] = [];
  private readonly queue: Sequence[] = [];
  private running = false;
  private closed = false;
  /** Forwards run and sequences they carried: the mean batch size shows batching at work. */
  readonly stats = { steps: 0, stepRows: 0 };

  constructor(
    model: LanguageModel,
    private readonly tokenizer: Tokenizer,
    options: EngineOptions = {},
  ) {
    model.eval();
    this.batch = new SequenceBatch(model, options.maxBatch ?? 16);
    this.maxQueue = options.maxQueue ?? 256;
  }

  get active(): number {
    return this.live.length;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Starts (or queues) a generation; its events arrive on the returned iterable, ending with 'done'. */
  submit(req: GenerationRequest): AsyncIterable<EngineEvent> {
    if (this.closed) throw new QueueFullError('the server is shutting down');
    // Requests that a free slot will take at the next turn do not wait; the rest count against the queue.
    const waiting = this.queue.length - (this.batch.slots - this.batch.active);
    if (waiting >= this.maxQueue)
      throw new QueueFullError(`the server is busy: ${Math.max(waiting, 0)} requests are waiting for a slot`);
    if (req.prompt.length === 0) throw new Error('the prompt is empty');
    if (req.prompt.length > this.batch.capacity)
      throw new Error(`the prompt has ${req.prompt.length} tokens, the context ${this.batch.capacity}`);
    const out = new Channel<EngineEvent>();
    this.queue.push({
      req,
      out,
      generator: new Generator(req.seed),
      ids: [...req.prompt],
      generated: 0,
      decoder: new StreamDecoder(this.tokenizer),
      stops: new StopMatcher([...req.stop]),
      next: -1,
      stopped: false,
    });
    void this.loop();
    return out;
  }

  /** Ends every generation and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const s of this.queue.splice(0)) this.end(s, 'cancelled');
    for (let slot = this.live.length - 1; slot >= 0; slot--) this.finish(slot, 'cancelled');
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.live.length || this.queue.length) {
        this.turn();
        await new Promise((resolve) => setImmediate(resolve)); // let requests in and replies out
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Admits what fits, ends what was cancelled or ran out of time, then one decode step for everyone. A
   * failure ends the sequences it touched with an error event; the loop and everyone else go on.
   */
  private turn(): void {
    while (this.queue.length && this.batch.active < this.batch.slots) {
      const s = this.queue.shift()!;
      const expired = this.expired(s.req);
      if (expired) {
        this.end(s, expired);
        continue;
      }
      let slot = -1;
      try {
        const added = this.batch.add(s.req.prompt);
        slot = added.slot;
        this.live[slot] = s;
        const reason = this.sample(s, added.logits, slot);
        if (reason) this.finish(slot, reason);
      } catch (e) {
        if (slot >= 0) this.finish(slot, e as Error);
        else this.end(s, e as Error);
      }
    }
    for (let slot = this.live.length - 1; slot >= 0; slot--) {
      const expired = this.expired(this.live[slot].req);
      if (expired) this.finish(slot, expired);
    }
    if (this.live.length === 0) return;
    let logits: Float32Array[];
    try {
      logits = this.batch.step(Int32Array.from(this.live, (s) => s.next));
    } catch (e) {
      for (let slot = this.live.length - 1; slot >= 0; slot--) this.finish(slot, e as Error);
      return;
    }
    this.stats.steps++;
    this.stats.stepRows += this.live.length;
    const done: [number, FinishReason | Error][] = [];
    this.live.forEach((s, slot) => {
      try {
        const reason = this.sample(s, logits[slot], slot);
        if (reason) done.push([slot, reason]);
      } catch (e) {
        done.push([slot, e as Error]);
      }
    });
    // Highest slot first: each removal moves the last sequence down, never one still to be removed.
    for (const [slot, reason] of done.reverse()) this.finish(slot, reason);
  }

  private expired(req: GenerationRequest): FinishReason | null {
    if (req.signal?.aborted) return 'cancelled';
    return req.deadline !== undefined && performance.now() > req.deadline ? 'timeout' : null;
  }

  /**
   * Draws the next token of `s` from `logits` and streams it; the reason it ends, if it does. Only the
   * tokenizer's ids are drawn from: a model's vocabulary may be padded past them (many HF models are).
   */
  private sample(s: Sequence, all: Float32Array, slot: number): FinishReason | null {
    const { req } = s;
    const logits = all.subarray(0, this.tokenizer.vocabSize);
    const { token } = sampleToken(logits, s.ids, req.sampling, s.generator);
    if (req.stopTokens.includes(token)) return 'stop';
    s.ids.push(token);
    s.generated++;
    s.next = token;
    const { emit, stopped } = s.stops.push(s.decoder.push(token));
    s.out.push({
      type: 'token',
      text: emit,
      logprob: req.logprobs === null ? undefined : this.logprobs(logits, token, req.logprobs),
    });
    if (stopped) {
      s.stopped = true;
      return 'stop';
    }
    if (s.generated >= req.maxTokens || this.batch.position(slot) >= this.batch.capacity) return 'length';
    return null;
  }

  /** The model's own log-probabilities (before temperature and filters), as OpenAI reports them. */
  private logprobs(logits: Float32Array, token: number, k: number): TokenLogprob & { top: TokenLogprob[] } {
    let max = Number.NEGATIVE_INFINITY;
    for (const v of logits) max = Math.max(max, v);
    let sum = 0;
    for (const v of logits) sum += Math.exp(v - max);
    const logZ = max + Math.log(sum);
    const entry = (t: number): TokenLogprob => ({
      token: t,
      piece: tokenPiece(this.tokenizer, t),
      logprob: logits[t] - logZ,
    });
    const probs = logits.map((v) => Math.exp(v - logZ));
    return { ...entry(token), top: topKProbs(probs, k).map((a) => entry(a.token)) };
  }

  /** Frees the slot and ends the sequence's stream. */
  private finish(slot: number, reason: FinishReason | Error): void {
    const s = this.live[slot];
    const moved = this.batch.remove(slot);
    if (moved !== null) this.live[slot] = this.live[moved];
    this.live.length = this.batch.active;
    this.end(s, reason);
  }

  private end(s: Sequence, reason: FinishReason | Error): void {
    if (reason instanceof Error) {
      s.out.push({ type: 'error', error: reason });
      s.out.close();
      return;
    }
    // What was held back (a partial character, a possible stop string's start) belongs to the reply
    // unless a stop string completed.
    if (!s.stopped) {
      const tail = s.stops.push(s.decoder.flush());
      const text = tail.emit + (tail.stopped ? '' : s.stops.flush());
      if (text) s.out.push({ type: 'token', text });
    }
    s.out.push({ type: 'done', reason, promptTokens: s.req.prompt.length, completionTokens: s.generated });
    s.out.close();
  }
}
