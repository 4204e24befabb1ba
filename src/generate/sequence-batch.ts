// Many sequences decoded together, each at its own length: the model side of continuous batching (as
// vLLM and llama.cpp's server do it). Sequences occupy slots of one batched generation state; the active
// ones are kept packed in slots 0..active-1, so a decode step is one forward over a contiguous view of
// the state, every sequence at its own position. A new sequence is prefilled alone into the next free
// slot; a finished one's slot is refilled by moving the last active sequence into it.
import { clearRow, copyRow } from '../mixers/index.js';
import type { GenerationState, LanguageModel } from '../model/index.js';
import { IntTensor, noGrad, type Tensor } from '../tensor/index.js';

export class SequenceBatch {
  private readonly state: GenerationState<Int32Array>;
  private count = 0;

  constructor(
    private readonly model: LanguageModel,
    readonly slots: number,
    capacity = model.config.blockSize,
  ) {
    if (!(Number.isInteger(slots) && slots >= 1))
      throw new RangeError(`SequenceBatch: slots must be a positive integer, got ${slots}`);
    const empty = model.newState(slots, capacity);
    this.state = { layers: empty.layers, pos: new Int32Array(slots), capacity: empty.capacity };
  }

  /** Sequences in slots 0..active-1. */
  get active(): number {
    return this.count;
  }

  get capacity(): number {
    return this.state.capacity;
  }

  /** Tokens the sequence in `slot` has seen. */
  position(slot: number): number {
    this.check(slot);
    return this.state.pos[slot];
  }

  /** Starts a sequence in the next free slot from `prompt`; returns its slot and the logits after the prompt. */
  add(prompt: readonly number[]): { slot: number; logits: Float32Array } {
    if (this.count === this.slots) throw new Error(`SequenceBatch: all ${this.slots} slots are in use`);
    if (prompt.length === 0) throw new Error('SequenceBatch: a sequence needs at least one prompt token');
    if (prompt.length > this.capacity)
      throw new Error(
        `SequenceBatch: a prompt of ${prompt.length} tokens exceeds the context of ${this.capacity}`,
      );
    const slot = this.count++;
    for (const layer of this.state.layers) clearRow(layer, slot);
    this.state.pos[slot] = 0;
    const logits = this.forward(Int32Array.from(prompt), slot, 1);
    return { slot, logits: logits.data.subarray(logits.data.length - this.model.config.vocabSize) };
  }

  /** One token for every active sequence (tokens[i] for slot i), in one forward; the next logits per slot. */
  step(tokens: Int32Array): Float32Array[] {
    if (tokens.length !== this.count)
      throw new Error(`SequenceBatch.step: ${tokens.length} tokens for ${this.count} active sequences`);
    const logits = this.forward(tokens, 0, this.count);
    const V = this.model.config.vocabSize;
    return Array.from({ length: this.count }, (_, i) => logits.data.subarray(i * V, (i + 1) * V));
  }

  /**
   * Ends the sequence in `slot`. The last active sequence moves into its place (its state copied); the
   * slot it came from is returned so the caller can follow it, or null when `slot` was the last.
   */
  remove(slot: number): number | null {
    this.check(slot);
    const last = --this.count;
    if (slot === last) return null;
    for (const layer of this.state.layers) copyRow(layer, last, slot);
    this.state.pos[slot] = this.state.pos[last];
    return last;
  }

  /** ids for `count` slots from `start` (count 1: a whole prompt; otherwise one token each). */
  private forward(ids: Int32Array, start: number, count: number): Tensor {
    const view: GenerationState<Int32Array> = {
      layers: this.state.layers.map((l) => l.rows(start, count)),
      pos: this.state.pos.subarray(start, start + count),
      capacity: this.state.capacity,
    };
    return noGrad(() => this.model.forward(new IntTensor(ids, [count, ids.length / count]), { state: view }));
  }

  private check(slot: number): void {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.count))
      throw new RangeError(`SequenceBatch: slot ${slot} is not active (${this.count} are)`);
  }
}
