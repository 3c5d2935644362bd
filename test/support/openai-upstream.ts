/**
 * A scripted OpenAI-compatible upstream for end-to-end tests: a real `node:http` server on
 * 127.0.0.1 with an ephemeral port. Each request to `/v1/chat/completions` is answered by the
 * next queued script (or the default one): a status with JSON, SSE chunks with delays, a
 * hang, a reset mid-stream, or a handler writing the response itself. Every request is recorded, with a promise that settles when
 * its socket closes.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One step of a scripted SSE body: a chunk object (sent as `data: {json}`), raw text, or a pause. */
export type StreamStep = { chunk: unknown } | { raw: string } | { delayMs: number };

/** How the upstream answers one request. */
export type UpstreamScript =
  | {
      kind: 'json';
      status?: number;
      headers?: Record<string, string>;
      body: unknown;
      delayMs?: number;
      /** Sent instead of `body` serialised. */ rawBody?: string;
    }
  | {
      kind: 'stream';
      steps: StreamStep[];
      done?: boolean;
      then?: 'end' | 'reset' | 'hang';
      headers?: Record<string, string>;
    }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | {
      kind: 'handler';
      /** Writes the response itself (huge bodies, drips, custom protocols); the upstream only records the call. */
      respond(response: ServerResponse, call: UpstreamCall): void | Promise<void>;
    };

/** A request the upstream received. */
export interface UpstreamCall {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: any;
  /** The body's text exactly as received. */
  rawBody: string;
  /** Settles when the request's socket closed. */
  socketClosed: Promise<void>;
  /** True when the response was not complete when the connection closed (the client went away). */
  closedEarly: boolean;
}

/** The scripted upstream. */
export interface OpenAIUpstream {
  /** `http://127.0.0.1:PORT/v1`, the `baseURL` of an `openai` provider. */
  baseURL: string;
  calls: UpstreamCall[];
  /** Queues scripts, consumed in order by chat-completion requests. */
  enqueue(...scripts: UpstreamScript[]): void;
  /** The script used when the queue is empty. Default: a completion saying `hello from <name>`. */
  setDefault(script: UpstreamScript | ((call: UpstreamCall) => UpstreamScript)): void;
  /** Answer of `GET /v1/models` (the adapters' health check): default 200. */
  setHealthy(healthy: boolean): void;
  /** Model ids `GET /v1/models` lists (default none). */
  setModels(ids: readonly string[]): void;
  /** How many `GET /v1/models` requests arrived. */
  readonly modelListRequests: number;
  close(): Promise<void>;
}

/** A `chat.completion` body. */
export function completionBody(
  content: string,
  model = 'gpt-4o-mini',
  id = 'chatcmpl-upstream',
): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion',
    created: 1_763_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
  };
}

/** A `chat.completion.chunk` carrying `content` (or the finish reason when null). */
export function chunkBody(content: string | null, model = 'gpt-4o-mini'): Record<string, unknown> {
  return {
    id: 'chatcmpl-upstream',
    object: 'chat.completion.chunk',
    created: 1_763_000_000,
    model,
    choices: [
      {
        index: 0,
        delta: content === null ? {} : { content },
        logprobs: null,
        finish_reason: content === null ? 'stop' : null,
      },
    ],
  };
}

/** A stream script sending each piece as a chunk, then a finish chunk and `[DONE]`. */
export function streamScript(pieces: string[], options: { delayMs?: number; model?: string } = {}): UpstreamScript {
  const steps: StreamStep[] = [];
  for (const piece of pieces) {
    if (options.delayMs !== undefined && steps.length > 0) steps.push({ delayMs: options.delayMs });
    steps.push({ chunk: chunkBody(piece, options.model) });
  }
  steps.push({ chunk: chunkBody(null, options.model) });
  return { kind: 'stream', steps };
}

/** An OpenAI-shaped error script. */
export function errorScript(
  status: number,
  message = `upstream error ${status}`,
  headers?: Record<string, string>,
): UpstreamScript {
  return {
    kind: 'json',
    status,
    body: { error: { message, type: status === 429 ? 'rate_limit_error' : 'server_error', param: null, code: null } },
    ...(headers ? { headers } : {}),
  };
}

/**
 * Starts a scripted upstream.
 *
 * @example
 * ```ts
 * const upstream = await startOpenAIUpstream('primary');
 * upstream.enqueue(errorScript(500));
 * // … a provider with baseURL: upstream.baseURL …
 * await upstream.close();
 * ```
 */
export async function startOpenAIUpstream(name = 'upstream'): Promise<OpenAIUpstream> {
  const calls: UpstreamCall[] = [];
  const queue: UpstreamScript[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let fallback: UpstreamScript | ((call: UpstreamCall) => UpstreamScript) = {
    kind: 'json',
    body: completionBody(`hello from ${name}`),
  };
  let healthy = true;
  let modelIds: readonly string[] = [];
  let modelListRequests = 0;

  const sleep = (milliseconds: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, milliseconds);
      timers.add(timer);
    });

  const play = async (script: UpstreamScript, response: ServerResponse, call: UpstreamCall) => {
    switch (script.kind) {
      case 'hang':
        return;
      case 'reset':
        response.socket?.destroy();
        return;
      case 'handler':
        await script.respond(response, call);
        return;
      case 'json': {
        if (script.delayMs !== undefined) await sleep(script.delayMs);
        if (response.destroyed) return;
        const text = script.rawBody ?? JSON.stringify(script.body);
        response.writeHead(script.status ?? 200, { 'content-type': 'application/json', ...script.headers });
        response.end(text);
        return;
      }
      case 'stream': {
        response.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          ...script.headers,
        });
        response.flushHeaders();
        for (const step of script.steps) {
          if (response.destroyed) return;
          if ('delayMs' in step) await sleep(step.delayMs);
          else if ('raw' in step) response.write(step.raw);
          else response.write(`data: ${JSON.stringify(step.chunk)}\n\n`);
        }
        if (response.destroyed) return;
        const then = script.then ?? 'end';
        if (then === 'reset') {
          response.socket?.destroy();
          return;
        }
        if (then === 'hang') return;
        if (script.done !== false) response.write('data: [DONE]\n\n');
        response.end();
      }
    }
  };

  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      let resolveClosed!: () => void;
      const call: UpstreamCall = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
        rawBody: text,
        socketClosed: new Promise((resolve) => (resolveClosed = resolve)),
        closedEarly: false,
      };
      response.once('close', () => {
        if (!response.writableFinished) call.closedEarly = true;
        resolveClosed();
      });
      if (request.method === 'GET' && request.url?.endsWith('/models')) {
        modelListRequests += 1;
        response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
        const data = modelIds.map((id) => ({ id, object: 'model', created: 1_763_000_000, owned_by: name }));
        response.end(
          JSON.stringify(
            healthy ? { object: 'list', data } : { error: { message: 'unhealthy', type: 'server_error' } },
          ),
        );
        return;
      }
      calls.push(call);
      const script = queue.shift() ?? (typeof fallback === 'function' ? fallback(call) : fallback);
      play(script, response, call).catch(() => response.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    calls,
    enqueue: (...scripts) => queue.push(...scripts),
    setDefault: (script) => {
      fallback = script;
    },
    setHealthy: (value) => {
      healthy = value;
    },
    setModels: (ids) => {
      modelIds = ids;
    },
    get modelListRequests() {
      return modelListRequests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
