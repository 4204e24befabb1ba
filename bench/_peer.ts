// The PyTorch peer of the benches: bench/torch/peer.py as one long-lived process per thread count, so
// that its timing windows can alternate with ours (bench/_compare.ts). Python is JIELONG_PYTHON, else
// Debian's /usr/bin/python3, else python3 on PATH: the first that imports torch.
//
// A fair peer: this machine sets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which hold OpenBLAS to old
// kernels (older builds misbehave on new processors). They are removed from the peer's environment only,
// so OpenBLAS picks its own kernel for this processor; the peer checks its float32 products against
// float64 before it times anything, and says which BLAS core it runs.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** float32 products further than this from float64 mean the BLAS computes wrong results here. */
const FLOAT64_TOLERANCE = 1e-5;
/** Environment variables that pin OpenBLAS to a kernel: the peer runs without them. */
const BLAS_OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

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

export interface PeerInfo {
  torch: string;
  /** e.g. "OpenBLAS 0.3.21 Cooperlake" */
  blas: string;
  /** Worst relative error of its float32 products against float64. */
  float64: number;
}

export class TorchPeer {
  private readonly answers: AsyncIterator<string>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    lines: Interface,
    readonly info: PeerInfo,
    readonly threads: number,
  ) {
    this.answers = lines[Symbol.asyncIterator]();
  }

  /** Starts the peer on `threads` threads, or returns null when no Python here has torch. */
  static async start(threads: number): Promise<TorchPeer | null> {
    python ??= findPython();
    if (python === null) return null;
    const n = String(threads);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OMP_NUM_THREADS: n,
      OPENBLAS_NUM_THREADS: n,
      MKL_NUM_THREADS: n,
    };
    for (const name of BLAS_OVERRIDES) delete env[name];
    const script = fileURLToPath(new URL('../../bench/torch/peer.py', import.meta.url));
    const child = spawn(python, [script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const lines = createInterface({ input: child.stdout });
    const first = await lines[Symbol.asyncIterator]().next();
    if (first.done) throw new Error(`bench/torch/peer.py exited at start:\n${stderr}`);
    const info = JSON.parse(first.value) as PeerInfo;
    const peer = new TorchPeer(child, lines, info, threads);
    if (!(info.float64 <= FLOAT64_TOLERANCE)) {
      peer.close();
      throw new Error(
        `the PyTorch peer (${info.blas}) is wrong on this machine: float32 products are ${info.float64} from float64`,
      );
    }
    return peer;
  }

  private async ask(request: unknown): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    const line = await this.answers.next();
    if (line.done) throw new Error('bench/torch/peer.py exited');
    const answer = JSON.parse(line.value) as Record<string, unknown>;
    if (typeof answer.error === 'string') throw new Error(`bench/torch/peer.py: ${answer.error}`);
    return answer;
  }

  /** Makes bench/torch/<script>.py's unit for this config the one `window` times; returns its info. */
  async load<Info = unknown>(script: string, config: unknown): Promise<Info> {
    return (await this.ask({ load: script, config })).info as Info;
  }

  /** Seconds per call of the loaded unit over one window of `ms` milliseconds. */
  async window(ms: number): Promise<number> {
    return (await this.ask({ window: ms / 1000 })).seconds as number;
  }

  close(): void {
    this.child.stdin.end();
  }

  /** "PyTorch 1.13 on OpenBLAS 0.3.21 Cooperlake, 2 threads (float32 vs float64: 5.2e-7)" */
  describe(): string {
    const { torch, blas, float64 } = this.info;
    return `PyTorch ${torch} on ${blas}, ${this.threads} thread(s) (float32 vs float64: ${float64.toExponential(1)})`;
  }
}

/**
 * Runs `body` with a peer on `threads` threads (null when no Python here has torch), closing it after;
 * says who the peer was in `notes`.
 */
export async function withPeer<T>(
  threads: number,
  notes: string[],
  body: (peer: TorchPeer | null) => Promise<T>,
): Promise<T> {
  const peer = await TorchPeer.start(threads);
  const note = peer
    ? `peer: ${peer.describe()}`
    : 'peer: none (no python3 with torch; Debian: apt-get install python3-torch libopenblas0-pthread)';
  if (!notes.includes(note)) notes.push(note);
  try {
    return await body(peer);
  } finally {
    peer?.close();
  }
}
