// Reading fields of a tokenizer.json object: every error names the file and the field.
export type JsonObject = Record<string, unknown>;

export function fail(message: string): never {
  throw new Error(`tokenizer.json: ${message}`);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A component's type for messages and dispatch: null when absent, its JSON when it has no string type. */
export function typeOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return isObject(value) && typeof value.type === 'string' ? value.type : JSON.stringify(value);
}

/** The members of a Sequence component (`key` names its list), or the component alone. */
export function members(component: JsonObject, key: string, field: string): JsonObject[] {
  if (component.type !== 'Sequence') return [component];
  const list = component[key];
  if (!Array.isArray(list) || !list.every(isObject)) fail(`${field}.${key} must be an array of objects`);
  return list;
}
