// Option parsing shared by the commands: node's parseArgs plus typed numbers with clear errors.
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * A value that starts with '-' (a negative number: --seed -1) would be read by parseArgs as an option and
 * refused as ambiguous; joined to its option (--seed=-1), it reaches the checks, which name what the option
 * takes.
 */
function joinDashValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    const next = args[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

/**
 * Parses argv against `options`; prints `usage` and returns null on --help. An unknown or malformed option
 * is one line naming it (the usage is for --help).
 */
export function parse(args: string[], options: Options, usage: string): Parsed | null {
  const all: Options = { ...options, help: { type: 'boolean', short: 'h' } };
  const command = /^usage: (jielong \S+)/.exec(usage)?.[1] ?? 'jielong';
  let parsed: Parsed;
  try {
    parsed = parseArgs({
      args: joinDashValues(args, all),
      options: all,
      allowPositionals: true,
      strict: true,
    }) as Parsed;
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    const what =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${/'([^']+)'/.exec(message)?.[1] ?? message}`
        : message.split('. ')[0];
    throw new Error(`${what} (${command} --help lists the options)`);
  }
  if (parsed.values.help) {
    console.log(usage);
    return null;
  }
  return parsed;
}

export interface NumberCheck {
  integer?: boolean;
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
}

/** What a check accepts, in words: "an integer >= 1", "a number in (0, 1]". */
function accepted(c: NumberCheck): string {
  const kind = c.integer ? 'an integer' : 'a number';
  const low = c.above !== undefined ? ['(', c.above] : c.min !== undefined ? ['[', c.min] : null;
  if (low && c.max !== undefined) return `${kind} in ${low[0]}${low[1]}, ${c.max}]`;
  if (low) return `${kind} ${low[0] === '(' ? '>' : '>='} ${low[1]}`;
  return c.max !== undefined ? `${kind} <= ${c.max}` : kind;
}

export function num(p: Parsed, name: string, fallback: number, check: NumberCheck = {}): number {
  const raw = p.values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (
    raw === '' ||
    !Number.isFinite(v) ||
    (check.integer && !Number.isSafeInteger(v)) ||
    (check.min !== undefined && v < check.min) ||
    (check.above !== undefined && v <= check.above) ||
    (check.max !== undefined && v > check.max)
  ) {
    throw new Error(`--${name} must be ${accepted(check)}, got ${JSON.stringify(raw)}`);
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
