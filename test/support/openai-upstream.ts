/**
 * A scripted OpenAI-compatible upstream for end-to-end tests, spoken over the shared scripted server
 * (`scripted-server.ts`: a real `node:http` server on 127.0.0.1 with an ephemeral port). Each POST
 * (`/v1/chat/completions`, `/v1/responses`, `/v1/embeddings`) is answered by the next queued script
 * (or the default one: a completion, or on `/v1/responses` a recorded Responses object or stream): a status with JSON, SSE chunks with delays, a
 * hang, a reset mid-stream, or a handler writing the response itself. Every request is recorded, with a promise that settles when
 * its socket closes.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { translateFixtureText } from '../../src/translate/test-support/translate-fixtures.ts';
import { startTestServer, type RecordedCall, type ScriptedChunk, type ScriptedResponse } from './scripted-server.ts';

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
  /**
   * The script used when the queue is empty. Default: a completion saying `hello from <name>`;
   * on `/v1/responses`, the recorded Responses object or stream (`responsesScript`).
   */
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

/**
 * The recorded Responses answer (`src/translate/fixtures/openai-responses-*`): for a streamed
 * request its SSE text as recorded (`event:` lines, no `[DONE]`), else the object; `fixture`
 * picks another recorded object (e.g. `openai-responses-function-call.json`).
 */
export function responsesScript(stream: boolean, fixture = 'openai-responses-text.json'): UpstreamScript {
  if (stream)
    return { kind: 'stream', steps: [{ raw: translateFixtureText('openai-responses-stream-text.sse') }], done: false };
  return { kind: 'json', body: undefined, rawBody: translateFixtureText(fixture) };
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
  const server = await startTestServer();
  const calls: UpstreamCall[] = [];
  const queue: UpstreamScript[] = [];
  const completion: UpstreamScript = { kind: 'json', body: completionBody(`hello from ${name}`) };
  let fallback: UpstreamScript | ((call: UpstreamCall) => UpstreamScript) = (call) =>
    call.url.endsWith('/responses') ? responsesScript(call.body?.stream === true) : completion;
  let healthy = true;
  let modelIds: readonly string[] = [];
  let modelListRequests = 0;

  server.fallback = (recorded) => {
    if (recorded.method === 'GET' && recorded.url.endsWith('/models')) {
      modelListRequests += 1;
      const data = modelIds.map((id) => ({ id, object: 'model', created: 1_763_000_000, owned_by: name }));
      return healthy
        ? { headers: jsonHeaders, body: { object: 'list', data } }
        : { status: 503, headers: jsonHeaders, body: { error: { message: 'unhealthy', type: 'server_error' } } };
    }
    const call = upstreamCall(recorded);
    calls.push(call);
    return scriptedResponse(queue.shift() ?? (typeof fallback === 'function' ? fallback(call) : fallback), call);
  };

  return {
    baseURL: `${server.origin}/v1`,
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
    close: () => server.close(),
  };
}

const jsonHeaders = { 'content-type': 'application/json' };

/** The OpenAI-flavoured view of a recorded call: the body parsed when it is JSON, else its text. */
function upstreamCall(recorded: RecordedCall): UpstreamCall {
  return {
    method: recorded.method,
    url: recorded.url,
    headers: recorded.headers,
    body: recorded.json ?? (recorded.body === '' ? undefined : recorded.body),
    rawBody: recorded.body,
    socketClosed: recorded.closed,
    get closedEarly() {
      return recorded.abortedByClient;
    },
  };
}

/** Translates an OpenAI script into the scripted server's terms. */
function scriptedResponse(script: UpstreamScript, call: UpstreamCall): ScriptedResponse {
  switch (script.kind) {
    case 'hang':
      return { hang: true };
    case 'reset':
      return { reset: true };
    case 'handler':
      return { respond: (response) => script.respond(response, call) };
    case 'json':
      return {
        status: script.status ?? 200,
        headers: { ...jsonHeaders, ...script.headers },
        body: script.rawBody ?? JSON.stringify(script.body),
        ...(script.delayMs !== undefined ? { delayMs: script.delayMs } : {}),
      };
    case 'stream': {
      const chunks: ScriptedChunk[] = script.steps.map((step) =>
        'delayMs' in step ? step : 'raw' in step ? step.raw : `data: ${JSON.stringify(step.chunk)}\n\n`,
      );
      const then = script.then ?? 'end';
      if (then === 'end' && script.done !== false) chunks.push('data: [DONE]\n\n');
      return {
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...script.headers },
        chunks,
        ...(then === 'reset' ? { destroyAfterChunks: true } : {}),
        ...(then === 'hang' ? { hangAfterChunks: true } : {}),
      };
    }
  }
}
