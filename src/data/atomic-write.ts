// Writes that never leave a half-written file behind: a crash leaves either the old file or the new one.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let tempCounter = 0; // two writes from one process in the same millisecond still get distinct temp files

/** Writes the bytes to a temp file in the same folder (so the rename stays on one file system), fsyncs it,
 * then renames it over `path`. */
export function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${tempCounter++}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(temp, 'wx');
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    rmSync(temp, { force: true });
    throw new Error(`writeFileAtomic: cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}
