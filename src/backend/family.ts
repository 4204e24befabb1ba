// Kernel families beyond the core Backend interface (a mixer's scans and chunked forms, say) live with the
// code that uses them: a family is a js reference object, and the native addon may export faster
// versions of any of its functions as "<family>.<name>" (native/src, registered with JL_EXPORT). With the
// native backend active, each function is the native one when it exists and the js one otherwise.
import { backend } from './index.js';
import { nativeAddon } from './native.js';

// biome-ignore lint/suspicious/noExplicitAny: kernels take typed arrays and numbers in any arrangement
type Kernel = (...args: any[]) => void;

export interface KernelFamily<K extends Record<string, Kernel>> {
  /** The implementations for the active backend. */
  (): K;
  /** The functions the addon provides natively (what native-vs-js tests compare). */
  readonly nativeNames: () => (keyof K & string)[];
  readonly js: K;
}

export function kernelFamily<K extends Record<string, Kernel>>(family: string, js: K): KernelFamily<K> {
  let native: K | undefined;
  let names: (keyof K & string)[] = [];
  const load = (): K => {
    if (native) return native;
    const addon = nativeAddon() ?? {};
    names = Object.keys(js).filter((k) => typeof addon[`${family}.${k}`] === 'function') as (keyof K &
      string)[];
    native = { ...js, ...Object.fromEntries(names.map((k) => [k, addon[`${family}.${k}`]])) } as K;
    return native;
  };
  const active = () => (backend().name === 'native' ? load() : js);
  return Object.assign(active, {
    nativeNames: () => {
      load();
      return names;
    },
    js,
  });
}
