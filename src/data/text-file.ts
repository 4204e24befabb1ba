// Reading a user's own text for training: strict UTF-8, so a binary or mis-encoded file fails loudly
// instead of training on replacement characters.

import { readFileSync } from 'node:fs';
import type { ZodType } from 'zod';

export function readTextFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`readTextFile: no such file: ${path}`, { cause: err });
    throw new Error(`readTextFile: cannot read ${path}: ${e.message}`, { cause: err });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new Error(`readTextFile: ${path} is not valid UTF-8 text`, { cause: err });
  }
}

/**
 * Every line of a JSON Lines file, each checked by `schema`; blank lines are skipped, an error names the
 * file, the line and the field, and a file with no records is an error too.
 */
export function readJsonLines<T>(path: string, schema: ZodType<T>, what = 'records'): T[] {
  const out: T[] = [];
  for (const [i, line] of readTextFile(path).split('\n').entries()) {
    if (!line.trim()) continue;
    const where = `${path}:${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not a JSON line (${(e as Error).message})`);
    }
    const parsed = schema.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${where}: ${issue.path.join('.') || 'the line'} ${issue.message}`);
    }
    out.push(parsed.data);
  }
  if (out.length === 0) throw new Error(`${path}: holds no ${what}`);
  return out;
}
