// checkpoint.json, the manifest of a checkpoint folder: every file the loader reads, with its size and
// SHA-256. The loader reads only the files it lists, each checked before use, so no file can be swapped,
// damaged or slipped in unnoticed. A folder without a manifest loads only when the caller says so
// (verify: false, the CLI's --no-verify): a bare safetensors file carries no checksum of its own.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssue } from '../model/index.js';

export const FORMAT = 'jielong-checkpoint';
export const VERSION = 1;

/**
 * The files of a checkpoint; the first three are in every one, tokenizer_config.json (HF's file: the chat
 * template) in chat models, the others in those saved during training.
 */
export const REQUIRED_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;
export const OPTIONAL_FILES = ['tokenizer_config.json'] as const;
export const TRAINING_FILES = ['optimizer.safetensors', 'trainer.json'] as const;
const KNOWN_FILES: readonly string[] = [...REQUIRED_FILES, ...OPTIONAL_FILES, ...TRAINING_FILES];

const MANIFEST = z.strictObject(
  {
    format: z.literal(FORMAT, { error: `must be "${FORMAT}"` }),
    version: z.literal(VERSION, { error: `must be ${VERSION}` }),
    files: z.record(
      z.string().refine((name) => KNOWN_FILES.includes(name), {
        error: `must name checkpoint files (${KNOWN_FILES.join(', ')})`,
      }),
      z.strictObject({
        bytes: z.number({ error: 'must be a byte count' }).int().min(0),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 hex digits' }),
      }),
      // Only the record's own type gets this message; its keys and entries keep theirs.
      {
        error: (issue) =>
          issue.code === 'invalid_type' ? 'must map file names to { bytes, sha256 }' : undefined,
      },
    ),
  },
  { error: 'must be a JSON object' },
);

export type Manifest = z.infer<typeof MANIFEST>;

export const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

export function manifestOf(files: Readonly<Record<string, string | Uint8Array>>): Manifest {
  const listed = Object.entries(files).map(([name, data]) => [
    name,
    { bytes: Buffer.byteLength(data), sha256: sha256(data) },
  ]);
  return { format: FORMAT, version: VERSION, files: Object.fromEntries(listed) };
}

/** Errors name the folder and the file. */
export const fault = (dir: string, file: string, what: string) =>
  new Error(`checkpoint ${dir}: ${file}: ${what}`);

export function parseJson(dir: string, name: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw fault(dir, name, `is not valid JSON (${(e as Error).message})`);
  }
}

function readListed(dir: string, name: string, want: { bytes: number; sha256: string }): Buffer {
  const path = join(dir, name);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw fault(dir, name, 'is listed in checkpoint.json but missing');
  // The size first, from the folder entry: a swapped-in huge file is refused without reading it.
  if (stat.size !== want.bytes)
    throw fault(dir, name, `has ${stat.size} bytes, the manifest says ${want.bytes} (truncated or corrupt)`);
  const bytes = readFileSync(path);
  if (bytes.length !== want.bytes || sha256(bytes) !== want.sha256)
    throw fault(dir, name, 'does not match its checksum (corrupt)');
  return bytes;
}

/** checkpoint.json, parsed and checked (the files it lists are not read). */
export function readManifest(dir: string): Manifest {
  const raw = parseJson(dir, 'checkpoint.json', readFileSync(join(dir, 'checkpoint.json')));
  const parsed = MANIFEST.safeParse(raw, { reportInput: true });
  if (!parsed.success)
    throw fault(dir, 'checkpoint.json', describeIssue(parsed.error.issues[0], 'the manifest'));
  return parsed.data;
}

/** A file's SHA-256, read in pieces: any size, little memory. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(16 * 2 ** 20);
  const fd = openSync(path, 'r');
  try {
    for (let got = readSync(fd, piece); got > 0; got = readSync(fd, piece))
      hash.update(piece.subarray(0, got));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Every file checkpoint.json lists, checked for its size and checksum without holding it in memory (a
 * checkpoint larger than memory, read tensor by tensor afterwards); an unlisted checkpoint file is refused.
 */
export function verifyCheckpointFolder(dir: string): Manifest {
  const manifest = readManifest(dir);
  for (const name of KNOWN_FILES)
    if (existsSync(join(dir, name)) && !Object.hasOwn(manifest.files, name))
      throw fault(dir, name, 'is in the folder but not in checkpoint.json (added after the save?)');
  for (const [name, want] of Object.entries(manifest.files)) {
    const stat = statSync(join(dir, name), { throwIfNoEntry: false });
    if (!stat?.isFile()) throw fault(dir, name, 'is listed in checkpoint.json but missing');
    if (stat.size !== want.bytes)
      throw fault(
        dir,
        name,
        `has ${stat.size} bytes, the manifest says ${want.bytes} (truncated or corrupt)`,
      );
    if (sha256File(join(dir, name)) !== want.sha256)
      throw fault(dir, name, 'does not match its checksum (corrupt)');
  }
  return manifest;
}

/**
 * The checkpoint's files by name: with `verify`, exactly those checkpoint.json lists, each matching its size
 * and checksum; without, whichever checkpoint files the folder holds, unchecked.
 */
export function readCheckpointFiles(dir: string, verify: boolean): Map<string, Buffer> {
  const present = KNOWN_FILES.filter((name) => existsSync(join(dir, name)));
  const out = new Map<string, Buffer>();
  if (!verify) {
    for (const name of present) out.set(name, readFileSync(join(dir, name)));
  } else {
    if (!existsSync(join(dir, 'checkpoint.json'))) {
      throw fault(
        dir,
        'checkpoint.json',
        'is missing, so nothing vouches for the other files; load it unverified with --no-verify (verify: false) if you trust them',
      );
    }
    const listed = readManifest(dir).files;
    for (const name of present) {
      if (!Object.hasOwn(listed, name))
        throw fault(dir, name, 'is in the folder but not in checkpoint.json (added after the save?)');
    }
    for (const [name, want] of Object.entries(listed)) out.set(name, readListed(dir, name, want));
  }
  for (const name of REQUIRED_FILES) {
    if (!out.has(name))
      throw fault(dir, name, verify ? 'is missing from checkpoint.json' : 'is missing from the folder');
  }
  return out;
}
