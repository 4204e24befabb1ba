// Crash-safe writes: a reader sees the old content or the whole new content, never a torn mix. Data goes to
// a temporary sibling (the same folder, so the rename stays on one filesystem), is fsynced, then renamed
// over the target; fsyncing the folder afterwards makes the rename itself survive a power cut.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A hidden sibling name no other writer (process or call) will pick. */
function siblingOf(path: string, tag: string): string {
  const unique = `${process.pid}.${randomBytes(6).toString('hex')}`;
  return join(dirname(path), `.${basename(path)}.${unique}.${tag}`);
}

/**
 * What a file can be written from: text (as UTF-8), bytes, or bytes in pieces, written in order as they come
 * (a generator's pieces are made one at a time, so a file larger than memory can be written).
 */
export type FileData = string | Uint8Array | Iterable<Uint8Array>;

function writeNewFileSynced(path: string, data: FileData): void {
  const fd = openSync(path, 'wx');
  try {
    for (const piece of typeof data === 'string' || data instanceof Uint8Array ? [data] : data)
      writeFileSync(fd, piece);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncFolder(dir: string): void {
  if (process.platform === 'win32') return; // Windows cannot open a folder to fsync it
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function failure(op: string, path: string, cause: unknown): Error {
  return new Error(`${op}: cannot write ${path}: ${(cause as Error).message}`, { cause });
}

/** Replaces (or creates) `path` with `data` (strings as UTF-8); on failure the old file is untouched. */
export function writeFileAtomic(path: string, data: FileData): void {
  const temp = siblingOf(path, 'tmp');
  try {
    writeNewFileSynced(temp, data);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw failure('writeFileAtomic', path, e);
  }
  syncFolder(dirname(path));
}

/**
 * Replaces (or creates) the folder `dir` with exactly `files` (plain names, no subfolders), e.g. a
 * checkpoint. The new folder is written and fsynced beside the target, then swapped in: the old one is
 * renamed aside, the new one renamed in, the old one removed. A reader never sees a half-written folder,
 * though between the two renames it sees none (recoverDirAtomic puts the old one back after a kill there);
 * on failure the old folder stays as it was. Leftovers of earlier writers that were killed are removed.
 * Files are written in the order given, so a later one may be made from what writing an earlier one
 * learned (a manifest of checksums, made by generators).
 */
export function writeDirAtomic(dir: string, files: Readonly<Record<string, FileData>>): void {
  for (const name of Object.keys(files)) {
    if (name === '' || name === '.' || name === '..' || basename(name) !== name) {
      throw new Error(`writeDirAtomic: ${JSON.stringify(name)} in ${dir} is not a plain file name`);
    }
  }
  const existing = statSync(dir, { throwIfNoEntry: false });
  if (existing && !existing.isDirectory())
    throw new Error(`writeDirAtomic: ${dir} exists and is not a folder`);
  const temp = siblingOf(dir, 'tmp');
  const aside = existing ? siblingOf(dir, 'old') : undefined;
  try {
    mkdirSync(temp);
    for (const [name, data] of Object.entries(files)) writeNewFileSynced(join(temp, name), data);
    syncFolder(temp);
    if (aside) renameSync(dir, aside);
    try {
      renameSync(temp, dir);
    } catch (e) {
      if (aside) renameSync(aside, dir);
      throw e;
    }
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw failure('writeDirAtomic', dir, e);
  }
  syncFolder(dirname(dir));
  if (aside) rmSync(aside, { recursive: true, force: true });
  for (const l of leftovers(dir)) rmSync(l.path, { recursive: true, force: true });
}

/** Whether a process of this id runs (EPERM: it does, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The siblings that writers of `path` killed mid-write left behind (live writers' are not listed). */
function leftovers(path: string): { path: string; tag: 'tmp' | 'old'; modified: number }[] {
  const parent = dirname(path);
  if (!existsSync(parent)) return [];
  const prefix = `.${basename(path)}.`;
  const out: { path: string; tag: 'tmp' | 'old'; modified: number }[] = [];
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.(tmp|old)$/.exec(name.slice(prefix.length));
    if (!m || running(Number(m[1]))) continue;
    const full = join(parent, name);
    out.push({ path: full, tag: m[2] as 'tmp' | 'old', modified: statSync(full).mtimeMs });
  }
  return out;
}

/**
 * Finishes what a writeDirAtomic killed midway left at `dir`: killed between its two renames, there is no
 * `dir` but the previous version lies intact beside it (.NAME.<pid>.<hex>.old), and is put back. Then the
 * rest of dead writers' leftovers (half-written .tmp folders, older .old ones) are removed. Returns true
 * when it restored `dir`.
 */
export function recoverDirAtomic(dir: string): boolean {
  const found = leftovers(dir);
  let restored = false;
  if (!existsSync(dir)) {
    const newest = found.filter((l) => l.tag === 'old').sort((a, b) => b.modified - a.modified)[0];
    if (newest) {
      renameSync(newest.path, dir);
      syncFolder(dirname(dir));
      restored = true;
    }
  }
  for (const l of found) if (existsSync(l.path)) rmSync(l.path, { recursive: true, force: true });
  return restored;
}
