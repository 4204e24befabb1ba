// The HTTP plumbing under the routes: bodies read with a size limit, JSON replies, server-sent events,
// bearer-key checks. Node's own http module: the server needs streaming, disconnect events and body
// limits, all of which it gives directly, and nothing a framework adds.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';

/** The JSON body, refusing one over `limit` bytes with 413 as soon as it is known to be. */
export async function readJSON(req: IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = () =>
    new ApiError(
      413,
      `the request body is larger than the limit of ${limit} bytes`,
      'invalid_request_error',
      null,
      'body_too_large',
    );
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `the body is not valid JSON: ${(e as Error).message}`);
  }
}

export function sendJSON(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A server-sent-events stream in OpenAI's dialect: `data: {json}` events, then `data: [DONE]`. */
export class EventStream {
  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
  }

  send(data: unknown): void {
    if (!this.res.writableEnded) this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  done(): void {
    if (!this.res.writableEnded) this.res.end('data: [DONE]\n\n');
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Whether the request carries `Authorization: Bearer <key>`. Both sides are hashed first so the compare
 * takes the same time whatever the length or the first wrong byte of a guess.
 */
export function authorized(req: IncomingMessage, key: string): boolean {
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  return timingSafeEqual(digest(given), digest(key));
}
