// `jielong serve`'s server: OpenAI's routes over one model, with bearer auth, body limits, a per-request
// time limit, disconnects that cancel, and one log line per request. Binds 127.0.0.1 unless told
// otherwise: a model server is not something to put on a network by accident.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatTemplate } from '../chat/index.js';
import type { LanguageModel } from '../model/index.js';
import type { Tokenizer, TokenizerConfig } from '../tokenizer/index.js';
import { chatCompletions } from './chat.js';
import { completions } from './completions.js';
import type { Outcome, ServeContext } from './context.js';
import { embeddings } from './embeddings.js';
import { Engine } from './engine.js';
import { ApiError } from './errors.js';
import { authorized, readJSON, sendJSON } from './http.js';

export interface ServeOptions {
  model: LanguageModel;
  tokenizer: Tokenizer;
  tokenizerConfig?: TokenizerConfig | null;
  /** The model's id in /v1/models (default "jielong"). */
  name?: string;
  host?: string;
  /** 0 picks a free port (default 8000). */
  port?: number;
  /** Bearer key every route but /health needs; none: open. */
  apiKey?: string | null;
  /** Sequences decoded together (default 16) and requests that may wait (default 256). */
  maxBatch?: number;
  maxQueue?: number;
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Seconds a generation may run (default 120). */
  timeoutSeconds?: number;
  /** Where the per-request log lines go (default stderr); null: nowhere. */
  log?: ((line: string) => void) | null;
}

export interface RunningServer {
  url: string;
  server: Server;
  engine: Engine;
  close(): Promise<void>;
}

type Route = (
  ctx: ServeContext,
  body: unknown,
  res: ServerResponse,
  signal: AbortSignal,
) => Promise<Outcome> | Outcome;

const POSTS: Record<string, Route> = {
  '/v1/completions': completions,
  '/v1/chat/completions': chatCompletions,
  '/v1/embeddings': embeddings,
};

export async function serve(o: ServeOptions): Promise<RunningServer> {
  const engine = new Engine(o.model, o.tokenizer, { maxBatch: o.maxBatch, maxQueue: o.maxQueue });
  const ctx: ServeContext = {
    name: o.name ?? 'jielong',
    created: Math.floor(Date.now() / 1000),
    model: o.model,
    tokenizer: o.tokenizer,
    template: ChatTemplate.fromConfig(o.tokenizerConfig ?? null),
    engine,
    timeoutMs: (o.timeoutSeconds ?? 120) * 1000,
  };
  const limit = o.maxBodyBytes ?? 1 << 20;
  const log = o.log === undefined ? (line: string) => process.stderr.write(`${line}\n`) : o.log;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<Outcome> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health' && req.method === 'GET') {
      sendJSON(res, 200, { status: 'ok', model: ctx.name, active: engine.active, queued: engine.queued });
      return {};
    }
    if (o.apiKey && !authorized(req, o.apiKey))
      throw new ApiError(
        401,
        'a valid API key is needed: Authorization: Bearer <key>',
        'invalid_request_error',
        null,
        'invalid_api_key',
      );
    if (path === '/v1/models' && req.method === 'GET') {
      sendJSON(res, 200, {
        object: 'list',
        data: [{ id: ctx.name, object: 'model', created: ctx.created, owned_by: 'jielong' }],
      });
      return {};
    }
    const route = POSTS[path];
    if (!route)
      throw new ApiError(404, `no route ${req.method} ${path}`, 'invalid_request_error', null, 'unknown_url');
    if (req.method !== 'POST') throw new ApiError(405, `${path} takes POST, not ${req.method}`);
    const body = await readJSON(req, limit);
    // A client that goes away (closes the connection before the reply is done) cancels its generation.
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    return route(ctx, body, res, gone.signal);
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    handle(req, res)
      .catch((e: Error) => {
        const error =
          e instanceof ApiError ? e : new ApiError(500, `internal error: ${e.message}`, 'server_error');
        if (error.status === 500) console.error(e);
        if (!res.headersSent) {
          // A body over the limit is left unread: close the connection rather than drain it.
          if (error.status === 413) res.setHeader('connection', 'close');
          sendJSON(res, error.status, error.toJSON());
        } else res.end();
        return { finish: `error ${error.status}` } as Outcome;
      })
      .then((outcome) => {
        const tokens =
          outcome.promptTokens === undefined
            ? ''
            : ` ${outcome.promptTokens}+${outcome.completionTokens ?? 0} tokens`;
        const finish = outcome.finish ? ` ${outcome.finish}` : '';
        log?.(
          `${new Date().toISOString()} ${req.method} ${req.url} ${res.statusCode} ${(performance.now() - started).toFixed(0)}ms${tokens}${finish}`,
        );
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8000, o.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    engine,
    close: () =>
      new Promise<void>((resolve) => {
        engine.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
