// Runs the PyTorch side of a bench (bench/torch/NAME.py) when a Python with torch is installed, and
// reads back one JSON object per line. Python is JIELONG_PYTHON, else Debian's /usr/bin/python3, else
// python3 on PATH: the first that imports torch.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let python: string | null | undefined;

function findPython(): string | null {
  const candidates = [process.env.JIELONG_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (p): p is string => !!p && (p === 'python3' || existsSync(p)),
  );
  for (const p of candidates) {
    const probe = spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' });
    if (probe.status === 0) return p;
  }
  return null;
}

export function torchAvailable(): boolean {
  python ??= findPython();
  return python !== null;
}

/**
 * Runs bench/torch/<script>.py with the given JSON config on `threads` threads (set through the
 * environment too, since BLAS libraries read it at start); returns its JSON lines, or null without torch.
 */
export function runTorch<T>(script: string, config: unknown, threads: number): T[] | null {
  if (!torchAvailable()) return null;
  const path = fileURLToPath(new URL(`../../bench/torch/${script}.py`, import.meta.url));
  const n = String(threads);
  const env = { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n };
  const result = spawnSync(python as string, [path, JSON.stringify(config)], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script}.py failed:\n${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as T);
}
