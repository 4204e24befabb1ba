// Kernel families beyond the core Backend interface (a mixer's scans and chunked forms, say): their
// signatures are in the kernel table (FAMILIES in kernels.ts), their js versions live with the code that
// uses them, and the addon exports the native ones as "<family>.<name>". With the native backend active,
// each function is the native one.
import { backend } from './active.js';
import { FAMILIES, type FamilyName } from './kernels.js';
import { bind, nativeAddon } from './native.js';
import type { KernelSpec, Kernels } from './signature.js';

export type FamilyKernels<F extends FamilyName> = Kernels<(typeof FAMILIES)[F]>;

export interface KernelFamily<K> {
  /** The implementations for the active backend. */
  (): K;
  /** The kernels the addon provides (all of the table's, or none without the addon). */
  readonly nativeNames: () => (keyof K & string)[];
  readonly js: K;
}

/** A family of kernels: `js` must implement every kernel the table lists for it, with its signature. */
export function kernelFamily<F extends FamilyName>(
  family: F,
  js: FamilyKernels<F>,
): KernelFamily<FamilyKernels<F>> {
  let native: FamilyKernels<F> | undefined;
  const load = (): FamilyKernels<F> => {
    if (native) return native;
    const addon = nativeAddon() ?? {};
    const specs: Record<string, KernelSpec> = FAMILIES[family];
    const entries = Object.keys(specs).map((name) => {
      const fn = addon[`${family}.${name}`];
      if (typeof fn !== 'function') throw new Error(`the native addon lacks ${family}.${name}: rebuild it`);
      // biome-ignore lint/suspicious/noExplicitAny: checked to be a function just above
      return [name, bind(specs[name], fn as any)];
    });
    native = Object.fromEntries(entries) as FamilyKernels<F>;
    return native;
  };
  const active = () => (backend().name === 'native' ? load() : js);
  const nativeNames = () =>
    nativeAddon() ? (Object.keys(FAMILIES[family]) as (keyof FamilyKernels<F> & string)[]) : [];
  return Object.assign(active, { nativeNames, js });
}
