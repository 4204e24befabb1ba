// The native backend: a C++ Node-API addon (native/src) built by `npm install`. It works in place on the
// tensors' Float32Arrays. Its bindings are generated from the kernel table (kernels.ts), so this file only
// adapts what JS passes more conveniently than C++ reads: op names become their indices, and gemm's
// argument object becomes its list.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Backend } from './backend.js';
import { CORE } from './kernels.js';
import type { KernelSpec } from './signature.js';

// biome-ignore lint/suspicious/noExplicitAny: the addon's functions take typed arrays and numbers in any arrangement
type Native = (...args: any[]) => void;

/** The addon's exports: every kernel of the table under its name ("softmax", "delta.chunkForward"). */
type Addon = Record<string, Native> & { getNumThreads(): number };

const ADDON_PATH = fileURLToPath(new URL('../../../build/Release/jielong.node', import.meta.url));

type Loaded = { ok: true; backend: Backend; addon: Addon } | { ok: false; reason: string };
let loaded: Loaded | null = null;

/**
 * The addon's function for a kernel, taking what the table's TypeScript type says: an op name becomes its
 * index (an unknown one -1, which the binding refuses naming the argument), a named kernel's object its
 * list. The adapters are unrolled from the table: a loop or rest arguments cost 30-200 ns a call.
 */
export function bind(spec: KernelSpec, fn: Native): Native {
  const ops = spec.args.map((a) => (a.kind === 'op' ? new Map(a.ops.map((o, i) => [o, i])) : null));
  if (!spec.named && ops.every((o) => o === null)) return fn;
  const params = spec.args.map((_, i) => `a${i}`);
  const passed = spec.args.map((a, i) => {
    const value = spec.named ? `o.${a.name}` : params[i];
    return ops[i] ? `(ops[${i}].get(${value}) ?? -1)` : value;
  });
  const signature = spec.named ? 'o' : `(${params.join(', ')})`;
  return new Function('fn', 'ops', `return ${signature} => fn(${passed.join(', ')});`)(fn, ops);
}

function wrap(addon: Addon): Backend {
  const kernels = Object.fromEntries(
    Object.entries(CORE).map(([name, spec]) => [name, bind(spec, addon[name])]),
  );
  return { name: 'native', ...kernels } as Backend;
}

export function loadNative(): Loaded {
  if (loaded) return loaded;
  if (!existsSync(ADDON_PATH)) {
    loaded = { ok: false, reason: `addon not built (${ADDON_PATH} missing; run npm run build:native)` };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    const missing = Object.keys(CORE).filter((name) => typeof addon[name] !== 'function');
    if (missing.length > 0)
      throw new Error(`it lacks ${missing.join(', ')} (rebuild it: npm run build:native)`);
    loaded = { ok: true, backend: wrap(addon), addon };
  } catch (e) {
    loaded = { ok: false, reason: `addon failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  return loaded;
}

/** Worker threads used by native kernels (default: all cores, or JIELONG_THREADS). js is single-threaded. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  const native = loadNative();
  if (native.ok) native.addon.setNumThreads(n);
}

export function getNumThreads(): number {
  const native = loadNative();
  return native.ok ? native.addon.getNumThreads() : 1;
}

/** The addon's raw exports (for kernel families outside the core interface), or null when not built. */
export function nativeAddon(): Record<string, unknown> | null {
  const native = loadNative();
  return native.ok ? (native.addon as unknown as Record<string, unknown>) : null;
}
