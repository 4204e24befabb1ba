// A sandbox for code the agent writes itself: QuickJS in WebAssembly, in a worker thread (worker.ts), never
// node:vm (which shares the host's objects and is no security boundary). The code defines
// `function main(input)`; main is called with the input (JSON) and returns the output (JSON). Each call
// gets a time limit, a memory limit and an output limit; a call the worker does not answer in time
// (the engine stuck where its interrupt cannot reach) or a worker that dies ends in an error and a fresh
// worker, and the host goes on.
import { Worker } from 'node:worker_threads';
import type { SandboxReply, SandboxRequest } from './worker.js';

export interface SandboxLimits {
  /** Default 1000 ms. */
  timeoutMs?: number;
  /** The QuickJS heap (default 32 MiB). */
  memoryBytes?: number;
  /** The output's JSON (default 1 MiB). */
  maxOutputBytes?: number;
}

export type SandboxResult =
  | { ok: true; value: unknown }
  | {
      ok: false;
      kind: 'timeout' | 'memory' | 'stack' | 'error' | 'output' | 'input' | 'crash';
      message: string;
    };

/** The host's grace beyond the deadline before it stops the worker itself. */
const WATCHDOG_GRACE_MS = 2000;

export class Sandbox {
  private worker: Worker | null = null;
  private next = 0;
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs `code`'s main(input); calls are serialised, each in a fresh QuickJS runtime. */
  run(code: string, input: unknown, limits: SandboxLimits = {}): Promise<SandboxResult> {
    const result = this.queue.then(() => this.runNow(code, input, limits));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Stops the worker; a later run starts a new one. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }

  private runNow(code: string, input: unknown, limits: SandboxLimits): Promise<SandboxResult> {
    let inputJson: string;
    try {
      inputJson = JSON.stringify(input ?? null);
    } catch (e) {
      return Promise.resolve({
        ok: false,
        kind: 'input',
        message: `the input is not JSON: ${(e as Error).message}`,
      });
    }
    const request: SandboxRequest = {
      id: this.next++,
      code,
      input: inputJson,
      timeoutMs: limits.timeoutMs ?? 1000,
      memoryBytes: limits.memoryBytes ?? 32 * 1024 * 1024,
      maxOutputBytes: limits.maxOutputBytes ?? 1024 * 1024,
    };
    const worker = this.start();
    return new Promise<SandboxResult>((resolve) => {
      const finish = (r: SandboxResult, restart: boolean) => {
        clearTimeout(watchdog);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (restart && this.worker === worker) {
          this.worker = null;
          void worker.terminate();
        }
        resolve(r);
      };
      const onMessage = (reply: SandboxReply) => {
        if (reply.id !== request.id) return;
        if (!reply.ok) finish({ ok: false, kind: reply.kind, message: reply.message }, false);
        else finish({ ok: true, value: JSON.parse(reply.output) }, false);
      };
      const onError = (e: Error) =>
        finish({ ok: false, kind: 'crash', message: `the sandbox's engine failed: ${e.message}` }, true);
      const onExit = (code: number) =>
        finish({ ok: false, kind: 'crash', message: `the sandbox's worker exited (${code})` }, true);
      const watchdog = setTimeout(
        () =>
          finish(
            {
              ok: false,
              kind: 'timeout',
              message: `no answer within ${request.timeoutMs} ms; the worker was stopped`,
            },
            true,
          ),
        request.timeoutMs + WATCHDOG_GRACE_MS,
      );
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(request);
    });
  }

  private start(): Worker {
    if (!this.worker) {
      // The worker's own V8 heap is bounded too: QuickJS's limit is the one meant to trip, this one backs it.
      this.worker = new Worker(new URL('./worker.js', import.meta.url), {
        resourceLimits: { maxOldGenerationSizeMb: 256, stackSizeMb: 4 },
      });
      this.worker.unref();
    }
    return this.worker;
  }
}
