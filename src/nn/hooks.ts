// Hook points, as TransformerLens has them: every interesting activation passes through a named point,
// where user functions may read or replace it and a cache may keep it. Modules call `hooks.run(name, t)`;
// with no hooks active this returns t untouched, so the fast path pays one check.
import type { Tensor } from '../tensor/index.js';

/** Reads an activation, or returns a replacement for it (same shape). */
export type HookFn = (activation: Tensor, name: string) => Tensor | undefined;

export class HookContext {
  private readonly fns: ReadonlyMap<string, readonly HookFn[]>;
  private readonly cache: Map<string, Tensor> | null;
  private readonly cacheFilter: (name: string) => boolean;

  constructor(
    fns: ReadonlyMap<string, readonly HookFn[]> = new Map(),
    cache: Map<string, Tensor> | null = null,
    cacheFilter: (name: string) => boolean = () => true,
  ) {
    this.fns = fns;
    this.cache = cache;
    this.cacheFilter = cacheFilter;
  }

  /** Whether anything listens at this point (modules use it to take a slower path that exposes it). */
  wants(name: string): boolean {
    return this.fns.has(name) || (this.cache !== null && this.cacheFilter(name));
  }

  /** Passes an activation through the point's hooks in order, then caches what comes out. */
  run(name: string, t: Tensor): Tensor {
    let out = t;
    for (const fn of this.fns.get(name) ?? []) out = fn(out, name) ?? out;
    if (this.cache && this.cacheFilter(name)) this.cache.set(name, out);
    return out;
  }
}

/** No hooks, no cache: the default for a plain forward pass. */
export const NO_HOOKS = new HookContext();
