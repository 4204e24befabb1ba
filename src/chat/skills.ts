// A tool the model writes itself when none fits (Voyager's skill library): its manual, tests that say what
// it must do, and the code. Written once here so the agent that asks, and the data that will teach a model
// to answer, agree on every character:
//   name: days_between
//   description: Days from one ISO date to another
//   parameters: {"type":"object","properties":{"from":{"type":"string"},"to":{"type":"string"}},"required":["from","to"]}
//   test: {"from":"2026-12-01","to":"2026-12-04"} => 3
//   code:
//   function main(input) { ... }
import type { ToolSpec } from './messages.js';

export interface SkillTest {
  input: unknown;
  output: unknown;
}

export interface WrittenTool {
  spec: ToolSpec;
  tests: SkillTest[];
  /** JavaScript defining `function main(input)`. */
  code: string;
}

export const toolWritingRequest = (task: string): string =>
  `No tool fits this task: ${task}\nWrite a JavaScript tool for it as: name: <snake_case>, description: <one line>, parameters: <JSON schema of the input>, one or more lines test: <input JSON> => <output JSON>, then code: and a function main(input) that returns the output.`;

export function formatWrittenTool(t: WrittenTool): string {
  return [
    `name: ${t.spec.function.name}`,
    `description: ${t.spec.function.description ?? ''}`,
    `parameters: ${JSON.stringify(t.spec.function.parameters ?? {})}`,
    ...t.tests.map((c) => `test: ${JSON.stringify(c.input)} => ${JSON.stringify(c.output)}`),
    'code:',
    t.code,
  ].join('\n');
}

/** The tool a reply writes, or what is missing or malformed in it. */
export function parseWrittenTool(reply: string): WrittenTool | { error: string } {
  const at = reply.search(/^code:\s*$/m);
  if (at < 0) return { error: 'no "code:" line' };
  const head = reply.slice(0, at);
  const code = reply
    .slice(at)
    .replace(/^code:\s*\n/, '')
    .replace(/^```\w*\n|```\s*$/g, '')
    .trim();
  const field = (name: string) => head.match(new RegExp(`^${name}:\\s*(.+)$`, 'm'))?.[1].trim();
  const name = field('name');
  if (!name || !/^[a-z][a-z0-9_]{0,63}$/.test(name))
    return { error: `the name ${JSON.stringify(name ?? '')} is not snake_case` };
  let parameters: Record<string, unknown>;
  try {
    parameters = JSON.parse(field('parameters') ?? '');
  } catch {
    return { error: 'parameters: not a JSON schema' };
  }
  const tests: SkillTest[] = [];
  for (const m of head.matchAll(/^test:\s*(.+?)\s*=>\s*(.+)$/gm)) {
    try {
      tests.push({ input: JSON.parse(m[1]), output: JSON.parse(m[2]) });
    } catch {
      return { error: `test: not JSON: ${m[0].slice(0, 80)}` };
    }
  }
  if (tests.length === 0)
    return { error: 'no test: lines (a tool joins the library only when its tests pass)' };
  if (!/function\s+main\s*\(/.test(code)) return { error: 'the code defines no function main(input)' };
  return {
    spec: { type: 'function', function: { name, description: field('description') ?? '', parameters } },
    tests,
    code,
  };
}
