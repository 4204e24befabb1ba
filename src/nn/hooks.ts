// Hook points, as TransformerLens has them: every interesting activation passes through a named point,
// where user functions may read or replace it and a cache may keep it. A point is an object a module
// declares (`hookPoints(prefix, [...])`), so `model.hookPoints()` can list them all and a hook or cache
// filter naming a point that does not exist is an error instead of a hook that never fires. Modules call
// `hooks.run(point, t)`; with no hooks active this returns t untouched, so the fast path pays one check.
import type { Tensor } from '../tensor/index.js';

export class HookPoint {
  constructor(readonly name: string) {}
}

/** A module's hook points by short name, e.g. { hook_q: HookPoint("blocks.3.mixer.hook_q"), ... }. */
export function hookPoints<P extends string>(
  prefix: string,
  points: readonly P[],
): Readonly<Record<P, HookPoint>> {
  return Object.fromEntries(points.map((p) => [p, new HookPoint(prefix ? `${prefix}.${p}` : p)])) as Record<
    P,
    HookPoint
  >;
}

/** Reads an activation, or returns a replacement for it (same shape). */
export type HookFn = (activation: Tensor, name: string) => Tensor | undefined;

/** Which activations a cache keeps: the names of the points, or a test on a name. */
export type CacheFilter = readonly string[] | ((name: string) => boolean);

export class HookContext {
  private readonly fns: ReadonlyMap<string, readonly HookFn[]>;
  private readonly cache: Map<string, Tensor> | null;
  private readonly keep: (name: string) => boolean;
  private readonly named: readonly string[];
  /** The point names of the last model this context was checked against. */
  private checked: ReadonlyMap<string, HookPoint> | null = null;

  constructor(
    fns: ReadonlyMap<string, readonly HookFn[]> = new Map(),
    cache: Map<string, Tensor> | null = null,
    filter: CacheFilter = () => true,
  ) {
    this.fns = fns;
    this.cache = cache;
    if (typeof filter === 'function') {
      this.keep = filter;
      this.named = [];
    } else {
      const names = new Set(filter);
      this.keep = (name) => names.has(name);
      this.named = [...names];
    }
  }

  /** Whether anything listens at this point (modules use it to take a slower path that exposes it). */
  wants(point: HookPoint): boolean {
    return this.fns.has(point.name) || (this.cache !== null && this.keep(point.name));
  }

  /** Passes an activation through the point's hooks in order, then caches what comes out. */
  run(point: HookPoint, t: Tensor): Tensor {
    let out = t;
    for (const fn of this.fns.get(point.name) ?? []) out = fn(out, point.name) ?? out;
    if (this.cache && this.keep(point.name)) this.cache.set(point.name, out);
    return out;
  }

  /**
   * Refuses hooks and cache names that name no point of the model (`points`: its hookPoints()), suggesting
   * the nearest names. Checked once per model.
   */
  checkNames(points: ReadonlyMap<string, HookPoint>): void {
    if (this.checked === points) return;
    for (const name of [...this.fns.keys(), ...this.named]) {
      if (!points.has(name)) {
        const near = nearest(name, [...points.keys()], 3);
        throw new Error(`hook point "${name}" does not exist in this model; nearest: ${near.join(', ')}`);
      }
    }
    this.checked = points;
  }
}

/** No hooks, no cache: the default for a plain forward pass. */
export const NO_HOOKS = new HookContext();

/** The `count` names closest to `name` by edit distance. */
function nearest(name: string, names: string[], count: number): string[] {
  const distance = (a: string, b: string) => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) {
        row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      prev = row;
    }
    return prev[b.length];
  };
  return names
    .map((n) => [n, distance(name, n)] as const)
    .sort((x, y) => x[1] - y[1])
    .slice(0, count)
    .map(([n]) => n);
}
