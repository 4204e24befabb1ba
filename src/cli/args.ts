// Option parsing shared by the commands: node's parseArgs plus typed numbers with clear errors.
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses argv against `options`; prints `usage` and returns null on --help. Unknown options throw. */
export function parse(args: string[], options: Options, usage: string): Parsed | null {
  const all: Options = { ...options, help: { type: 'boolean', short: 'h' } };
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args, options: all, allowPositionals: true, strict: true }) as Parsed;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n\n${usage}`);
  }
  if (parsed.values.help) {
    console.log(usage);
    return null;
  }
  return parsed;
}

export function num(
  p: Parsed,
  name: string,
  fallback: number,
  check: { integer?: boolean; min?: number } = {},
): number {
  const raw = p.values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (
    !Number.isFinite(v) ||
    (check.integer && !Number.isInteger(v)) ||
    (check.min !== undefined && v < check.min)
  ) {
    const want = `${check.integer ? 'an integer' : 'a number'}${check.min !== undefined ? ` >= ${check.min}` : ''}`;
    throw new Error(`--${name} must be ${want}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function oneOf<T extends string>(p: Parsed, name: string, allowed: readonly T[], fallback: T): T {
  const v = str(p, name) ?? fallback;
  if (!allowed.includes(v as T))
    throw new Error(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** Human time: 3m05s, 1h02m, 42s. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
