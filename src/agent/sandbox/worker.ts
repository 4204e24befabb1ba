// The sandbox's worker thread: QuickJS (compiled to WebAssembly) runs the agent's code, a fresh runtime per
// call with a memory limit, a stack limit and a deadline its interrupt handler enforces. Nothing of the
// host is reachable from inside: the runtime has no process, require, import, fetch or timers, and data
// crosses only as JSON text, so no object of either side is ever shared. A crash of the engine (a stack
// overflow it did not catch, say) takes down this thread, not the agent.
import { parentPort } from 'node:worker_threads';
import variant from '@jitl/quickjs-wasmfile-release-sync';
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSSyncVariant,
  shouldInterruptAfterDeadline,
} from 'quickjs-emscripten-core';

export interface SandboxRequest {
  id: number;
  code: string;
  /** The input as JSON text. */
  input: string;
  timeoutMs: number;
  memoryBytes: number;
  maxOutputBytes: number;
}

export type SandboxReply =
  | { id: number; ok: true; output: string }
  | { id: number; ok: false; kind: 'timeout' | 'memory' | 'stack' | 'error' | 'output'; message: string };

/** QuickJS's stack limit: below what the host's own stack allows for its recursion, so QuickJS stops first. */
const STACK_BYTES = 256 * 1024;

// The package's types describe its CommonJS face; imported as ESM its default export is the variant.
const QuickJS = await newQuickJSWASMModuleFromVariant(variant as unknown as QuickJSSyncVariant);

function run(r: SandboxRequest): SandboxReply {
  const runtime = QuickJS.newRuntime();
  runtime.setMemoryLimit(r.memoryBytes);
  runtime.setMaxStackSize(STACK_BYTES);
  runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + r.timeoutMs));
  const context = runtime.newContext();
  try {
    const input = context.newString(r.input);
    context.setProp(context.global, '__input', input);
    input.dispose();
    const program = `${r.code}\n;JSON.stringify(main(JSON.parse(__input)) ?? null)`;
    const result = context.evalCode(program, 'tool.js');
    if (result.error) {
      const error = context.dump(result.error) as { name?: string; message?: string } | string;
      result.error.dispose();
      const message = typeof error === 'string' ? error : `${error.name ?? 'Error'}: ${error.message ?? ''}`;
      const kind = /interrupted/.test(message)
        ? 'timeout'
        : /out of memory/.test(message)
          ? 'memory'
          : /stack overflow/.test(message)
            ? 'stack'
            : 'error';
      return { id: r.id, ok: false, kind, message };
    }
    const output = context.getString(result.value);
    result.value.dispose();
    if (Buffer.byteLength(output) > r.maxOutputBytes) {
      return {
        id: r.id,
        ok: false,
        kind: 'output',
        message: `output of ${Buffer.byteLength(output)} bytes, over the limit of ${r.maxOutputBytes}`,
      };
    }
    return { id: r.id, ok: true, output };
  } finally {
    context.dispose();
    runtime.dispose();
  }
}

parentPort!.on('message', (r: SandboxRequest) => {
  let reply: SandboxReply;
  try {
    reply = run(r);
  } catch (e) {
    // QuickJS refused before running (a memory limit too small to start, say).
    reply = { id: r.id, ok: false, kind: 'memory', message: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
