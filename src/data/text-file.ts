// Reading a user's own text for training: strict UTF-8, so a binary or mis-encoded file fails loudly
// instead of training on replacement characters.
import { readFileSync } from 'node:fs';

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
