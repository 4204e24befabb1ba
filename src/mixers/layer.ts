// What every mixer layer repeats around its op: checking a state passed in, and choosing between the
// chunkwise form and the token-by-token recurrence.
import { isGradEnabled, type Tensor } from '../tensor/index.js';
import type { MixerState } from './mixer.js';

/**
 * A state passed to `kind`'s forward, as its own state class, or null for none. A state made by another
 * kind, or for another number of sequences, is refused here with the layer named (a layer whose state
 * also depends on its settings checks those itself).
 */
export function stateOf<S extends MixerState>(
  kind: string,
  state: MixerState | null,
  type: abstract new (...args: never[]) => S,
  batch: number,
): S | null {
  if (state === null) return null;
  if (!(state instanceof type) || state.kind !== kind) {
    throw new Error(`${kind}: expected a state made by its initState, got a "${state.kind}" state`);
  }
  if (state.batch !== batch) {
    throw new Error(`${kind}: the state holds ${state.batch} sequences, the input ${batch}`);
  }
  return state;
}

/**
 * Continuing from a state, whether to run the token-by-token recurrence instead of the chunkwise form: on
 * fewer tokens than a chunk, without gradients (decoding steps; a longer prefill takes the chunkwise form
 * from the state, and training always does).
 */
export function useRecurrence(steps: number, chunkSize: number, inputs: readonly (Tensor | null)[]): boolean {
  return steps < chunkSize && !(isGradEnabled() && inputs.some((t) => t?.requiresGrad));
}
