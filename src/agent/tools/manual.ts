// A tool's input schema given as the JSON Schema of its manual (what a model was trained to read), with
// the arguments checked against it before the tool runs: an object of the listed properties, the
// required ones present, each of its type and, where the manual lists them, one of its values. (The AI
// SDK's jsonSchema checks nothing by itself; a zod schema would render another manual.)
import { jsonSchema, type Schema, type Tool, tool } from 'ai';
import type { ToolSpec } from '../../chat/index.js';

interface ObjectManual {
  type?: string;
  properties?: Record<string, { type?: string; enum?: unknown[] }>;
  required?: string[];
}

function checkedSchema<T>(given: Record<string, unknown> | undefined): Schema<T> {
  const manual: ObjectManual = given ?? { type: 'object', properties: {} };
  return jsonSchema<T>(manual as never, {
    validate: (value) => {
      const fail = (what: string) => ({
        success: false as const,
        error: new Error(`invalid arguments: ${what}`),
      });
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return fail('expected an object');
      const given = value as Record<string, unknown>;
      const props = manual.properties ?? {};
      for (const key of manual.required ?? []) if (!(key in given)) return fail(`${key} is missing`);
      for (const [key, v] of Object.entries(given)) {
        const p = props[key];
        if (!p) return fail(`unknown field ${key} (fields: ${Object.keys(props).join(', ')})`);
        if (p.type && typeof v !== p.type)
          return fail(`${key} must be a ${p.type}, got ${JSON.stringify(v)}`);
        if (p.enum && !p.enum.includes(v))
          return fail(`${key} must be one of ${p.enum.join(', ')}, got ${JSON.stringify(v)}`);
      }
      return { success: true as const, value: given as T };
    },
  });
}

/** A tool from its manual (the ToolSpec a model was trained with) and what it does. */
export function manualTool<T>(spec: ToolSpec, execute: (input: T) => unknown): Tool<T, unknown> {
  return tool({
    description: spec.function.description,
    inputSchema: checkedSchema<T>(spec.function.parameters),
    execute: async (input: T) => execute(input),
  });
}
