// Errors in OpenAI's shape: {"error": {"message", "type", "param", "code"}} with the status code a client
// expects (400 bad request, 401 bad key, 404 unknown model or route, 413 body too large, 429 busy).
import type { z } from 'zod';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  toJSON(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A request body checked against its schema; the first problem becomes a 400 naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue.path.join('.') || null;
  const got =
    issue.input === undefined ? 'it is missing' : `got ${JSON.stringify(issue.input)?.slice(0, 80)}`;
  const what =
    issue.code === 'unrecognized_keys'
      ? `unknown field ${issue.keys.join(', ')}`
      : `${param ?? 'the body'}: ${issue.message}, ${got}`;
  throw new ApiError(400, what, 'invalid_request_error', param);
}
