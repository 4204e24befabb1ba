// What every fuzzer shares: seeded picks, hostile JSON values and the nested edit that plants them, the
// --cases/--seed flags.
import type { Generator } from '../src/tensor/index.js';

export const pick = <T>(rng: Generator, list: readonly T[]): T => list[rng.randint(list.length)];

/** Values no field of a well-formed file holds all of: sizes too big, negative, fractional; wrong types. */
export const HOSTILE_VALUES: readonly unknown[] = [
  1e7,
  1e9,
  2 ** 31,
  1e308,
  -1,
  0,
  0.5,
  1.5,
  'x',
  '',
  null,
  true,
  false,
  [],
  {},
  [1, 2],
  Number.MAX_SAFE_INTEGER,
];

/**
 * Walks up to three levels into `root` from a random key and, at a random depth (stopping with
 * `stopChance` at each), sets the field to one of `hostile`, deletes it, or adds an unknown sibling.
 * Returns the path it edited, e.g. ".config.n_embd".
 */
export function plantHostile(
  root: unknown,
  rng: Generator,
  hostile: readonly unknown[],
  stopChance: number,
): string {
  // biome-ignore lint/suspicious/noExplicitAny: a walk over arbitrary JSON
  let obj: any = root;
  let path = '';
  for (let depth = 0; depth < 3; depth++) {
    const keys = Object.keys(obj ?? {});
    if (keys.length === 0 || typeof obj !== 'object') break;
    const k = pick(rng, keys);
    path += `.${k}`;
    if (rng.random() < stopChance || typeof obj[k] !== 'object' || obj[k] === null) {
      const r = rng.random();
      if (r < 0.15) delete obj[k];
      else if (r < 0.2) obj[`unknown${rng.randint(9)}`] = 1;
      else obj[k] = pick(rng, hostile);
      break;
    }
    obj = obj[k];
  }
  return path;
}

/** A numeric --name flag of the command line. */
export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
