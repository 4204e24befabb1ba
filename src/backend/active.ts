// Chooses the backend: JIELONG_BACKEND=js|native, default native. When the addon did not build, everything
// runs on js after a one-line warning (unless native was asked for by name, which is then an error).
// (Apart from the index so that kernel families can reach backend() without an import cycle.)
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';
import { loadNative } from './native.js';

export type BackendName = Backend['name'];

let current: Backend | null = null;

function choose(name: string | undefined): Backend {
  if (name === 'js') return jsBackend;
  if (name !== undefined && name !== 'native') {
    throw new Error(`JIELONG_BACKEND=${name}: expected "js" or "native"`);
  }
  const native = loadNative();
  if (native.ok) return native.backend;
  if (name === 'native') throw new Error(`JIELONG_BACKEND=native but ${native.reason}`);
  process.stderr.write(`jielong: native backend unavailable (${native.reason}); running on js\n`);
  return jsBackend;
}

/** The active backend (chosen on first use). */
export function backend(): Backend {
  current ??= choose(process.env.JIELONG_BACKEND || undefined);
  return current;
}

/** Switches backend for everything that runs after this call. */
export function setBackend(name: BackendName): void {
  current = choose(name);
}

/** Whether the native addon loaded on this machine (without switching to it). */
export function nativeAvailable(): boolean {
  return loadNative().ok;
}
