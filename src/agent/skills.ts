// Tools the agent makes itself (Voyager's skill library): when no tool fits, the model writes one (a
// manual, tests, the code: src/chat/skills.ts), the code's tests run in the sandbox, and only a tool whose
// every test passes joins the library, kept in the memory store and offered later like any other tool (as
// AI SDK tools, found by the tool registry). The code runs in the sandbox every time it is called.
import type { ToolSet } from 'ai';
import { parseWrittenTool, TOOL_SCHEMA, toolWritingRequest, type WrittenTool } from '../chat/index.js';
import type { Ask } from './memory/ask.js';
import type { MemoryStore } from './memory/store.js';
import type { Sandbox, SandboxLimits } from './sandbox/index.js';
import { manualTool } from './tools/manual.js';

/** Runs every test of a written tool in the sandbox; the failures, described. */
export async function testTool(
  sandbox: Sandbox,
  tool: WrittenTool,
  limits: SandboxLimits = {},
): Promise<string[]> {
  const failures: string[] = [];
  for (const t of tool.tests) {
    const r = await sandbox.run(tool.code, t.input, limits);
    if (!r.ok) failures.push(`${JSON.stringify(t.input)}: ${r.kind}: ${r.message}`);
    else if (canonical(r.value) !== canonical(t.output)) {
      failures.push(
        `${JSON.stringify(t.input)}: returned ${JSON.stringify(r.value)}, expected ${JSON.stringify(t.output)}`,
      );
    }
  }
  return failures;
}

/** Adds a tool to the library when it has tests and passes them all; otherwise says why not. */
export async function learnTool(
  store: MemoryStore,
  sandbox: Sandbox,
  tool: WrittenTool,
  options: { at: Date; limits?: SandboxLimits },
): Promise<{ learned: boolean; failures: string[] }> {
  const manual = TOOL_SCHEMA.safeParse(tool.spec);
  if (!manual.success) return { learned: false, failures: [`the manual: ${manual.error.issues[0].message}`] };
  if (tool.tests.length === 0) return { learned: false, failures: ['no tests'] };
  const failures = await testTool(sandbox, tool, options.limits);
  if (failures.length === 0) store.saveSkill(tool.spec.function.name, tool, options.at);
  return { learned: failures.length === 0, failures };
}

/** Asks the model to write a tool for a task, tests it, and keeps it when it passes. */
export async function makeTool(
  store: MemoryStore,
  sandbox: Sandbox,
  task: string,
  options: { ask: Ask; at: Date; limits?: SandboxLimits },
): Promise<{ tool?: WrittenTool; learned: boolean; failures: string[] }> {
  const written = parseWrittenTool(await options.ask(toolWritingRequest(task)));
  if ('error' in written) return { learned: false, failures: [written.error] };
  return { tool: written, ...(await learnTool(store, sandbox, written, options)) };
}

/** The library's tools as AI SDK tools: arguments checked against the manual, the code run in the sandbox. */
export function skillTools(store: MemoryStore, sandbox: Sandbox, limits: SandboxLimits = {}): ToolSet {
  const tools: ToolSet = {};
  for (const { name, tool } of store.skills()) {
    const { spec, code } = tool as WrittenTool;
    tools[name] = manualTool(spec, async (input: unknown) => {
      const r = await sandbox.run(code, input, limits);
      if (!r.ok) throw new Error(`${name}: ${r.kind}: ${r.message}`);
      return r.value;
    });
  }
  return tools;
}

/** JSON with object keys sorted, so outputs compare by value. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}
