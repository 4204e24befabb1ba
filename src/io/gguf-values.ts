// GGUF's metadata value types. A value keeps the type it was read with, so a file read and written back
// says the same thing (a u32 stays a u32), and readers ask for what they expect by key.

/** gguf_type in the file's order: the index is the type's id. */
export const GGUF_VALUE_TYPES = [
  'u8',
  'i8',
  'u16',
  'i16',
  'u32',
  'i32',
  'f32',
  'bool',
  'string',
  'array',
  'u64',
  'i64',
  'f64',
] as const;

export type GGUFScalarType = Exclude<(typeof GGUF_VALUE_TYPES)[number], 'array'>;
/** 64-bit integers are bigints: they may exceed 2^53. */
export type GGUFScalar = number | bigint | boolean | string;

export type GGUFValue =
  | { type: GGUFScalarType; value: GGUFScalar }
  | { type: 'array'; itemType: GGUFScalarType; value: GGUFScalar[] };

export type GGUFMetadata = Map<string, GGUFValue>;

/** Fixed sizes in bytes; a string is its u64 length and its bytes. */
export const SCALAR_BYTES: Readonly<Record<Exclude<GGUFScalarType, 'string'>, number>> = {
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  bool: 1,
  u64: 8,
  i64: 8,
  f64: 8,
};

export const gguf = {
  string: (value: string): GGUFValue => ({ type: 'string', value }),
  u32: (value: number): GGUFValue => ({ type: 'u32', value }),
  i32: (value: number): GGUFValue => ({ type: 'i32', value }),
  f32: (value: number): GGUFValue => ({ type: 'f32', value }),
  bool: (value: boolean): GGUFValue => ({ type: 'bool', value }),
  array: (itemType: GGUFScalarType, value: GGUFScalar[]): GGUFValue => ({ type: 'array', itemType, value }),
};

const INTEGER = new Set<GGUFScalarType>(['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'u64', 'i64']);
const NUMBER = new Set<GGUFScalarType>([...INTEGER, 'f32', 'f64']);

/** Reads metadata by key and expected kind; every error names `source` and the key. */
export class MetadataReader {
  constructor(
    readonly metadata: GGUFMetadata,
    readonly source: string,
  ) {}

  private fail(key: string, message: string): never {
    throw new Error(`${this.source}: metadata ${key} ${message}`);
  }

  private scalar(key: string, kinds: Set<GGUFScalarType>, what: string): GGUFScalar | undefined {
    const v = this.metadata.get(key);
    if (v === undefined) return undefined;
    if (v.type === 'array' || !kinds.has(v.type)) this.fail(key, `must be ${what}, got ${describe(v)}`);
    return v.value;
  }

  /** A non-negative whole number up to `max`, or undefined when absent. */
  count(key: string, max: number): number | undefined {
    const v = this.scalar(key, INTEGER, 'an integer') as number | bigint | undefined;
    if (v === undefined) return undefined;
    if (v < 0 || v > max) this.fail(key, `must be in [0, ${max}], got ${v}`);
    return Number(v);
  }

  requiredCount(key: string, max: number): number {
    return this.count(key, max) ?? this.fail(key, 'is missing');
  }

  /** f32 values come back as the shortest decimal that reads as the same f32 (1e-6, not 9.99999997e-7). */
  number(key: string): number | undefined {
    const v = this.scalar(key, NUMBER, 'a number');
    if (v === undefined) return undefined;
    return this.metadata.get(key)?.type === 'f32' ? shortestF32(v as number) : Number(v);
  }

  string(key: string): string | undefined {
    return this.scalar(key, new Set(['string']), 'a string') as string | undefined;
  }

  bool(key: string): boolean | undefined {
    return this.scalar(key, new Set(['bool']), 'true or false') as boolean | undefined;
  }

  /** An array whose items are all of one of `kinds`. */
  array(key: string, kinds: GGUFScalarType[]): GGUFScalar[] | undefined {
    const v = this.metadata.get(key);
    if (v === undefined) return undefined;
    if (v.type !== 'array' || !kinds.includes(v.itemType))
      this.fail(key, `must be an array of ${kinds.join(' or ')}, got ${describe(v)}`);
    return v.value;
  }
}

function shortestF32(x: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const near = Number(x.toPrecision(digits));
    if (Math.fround(near) === x) return near;
  }
  return x;
}

function describe(v: GGUFValue): string {
  if (v.type === 'array') return `an array of ${v.value.length} ${v.itemType}`;
  const shown = typeof v.value === 'string' ? JSON.stringify(v.value.slice(0, 40)) : String(v.value);
  return `${v.type} ${shown}`;
}
