/**
 * A fast mock OpenAI upstream on node:http, run as its own process by the harness:
 * `node --import tsx bench/mock-upstream.ts` with `MOCK_PORT` (required),
 * `MOCK_STREAM_CHUNKS` (content chunks per stream, default 10) and
 * `MOCK_CHUNK_DELAY_MS` (pause before each chunk after the first, default 0).
 *
 * - POST /v1/chat/completions → a small chat.completion with usage, or with `"stream": true`
 *   SSE `chat.completion.chunk`s ending in `data: [DONE]`.
 * - GET /v1/models → the OpenAI list shape.
 *
 * Bodies are built once; keep-alive is on. Listens on 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isMainModule } from './main-module.ts';

/** Settings of one mock upstream. */
export interface MockUpstreamOptions {
  /** Content chunks per streamed completion (role and finish chunks come on top). */
  streamChunks: number;
  /** Delay before each chunk after the first, in ms; 0 writes them back to back. */
  chunkDelayMs: number;
}

const created = 1_700_000_000;

/** The non-streamed completion body the mock answers with. */
export function completionBody(model: string): string {
  return JSON.stringify({
    id: 'chatcmpl-bench0001',
    object: 'chat.completion',
    created,
    model,
    system_fingerprint: 'fp_bench',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello! How can I help you today?', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 19, completion_tokens: 9, total_tokens: 28 },
  });
}

/**
 * The SSE events of one streamed completion, each a complete `data: …\n\n` frame, `[DONE]` last;
 * with `includeUsage` (the request's `stream_options.include_usage`) a usage chunk before `[DONE]`, as OpenAI does.
 */
export function streamEvents(model: string, contentChunks: number, includeUsage: boolean): string[] {
  const base = {
    id: 'chatcmpl-bench0001',
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_bench',
  };
  const frame = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;
  const events = [
    frame({
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    }),
  ];
  for (let index = 0; index < contentChunks; index += 1) {
    events.push(
      frame({
        ...base,
        choices: [{ index: 0, delta: { content: `token${index} ` }, logprobs: null, finish_reason: null }],
      }),
    );
  }
  events.push(frame({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }));
  if (includeUsage)
    events.push(
      frame({
        ...base,
        choices: [],
        usage: { prompt_tokens: 19, completion_tokens: contentChunks, total_tokens: 19 + contentChunks },
      }),
    );
  events.push('data: [DONE]\n\n');
  return events;
}

const modelsBody = JSON.stringify({
  object: 'list',
  data: [
    { id: 'gpt-4o-mini', object: 'model', created, owned_by: 'bench' },
    { id: 'gpt-4o', object: 'model', created, owned_by: 'bench' },
  ],
});

interface ParsedRequest {
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

function parseRequest(text: string): ParsedRequest | null {
  try {
    const parsed = JSON.parse(text) as {
      model?: unknown;
      stream?: unknown;
      stream_options?: { include_usage?: unknown } | null;
    };
    return {
      model: typeof parsed.model === 'string' ? parsed.model : 'gpt-4o-mini',
      stream: parsed.stream === true,
      includeUsage: parsed.stream_options?.include_usage === true,
    };
  } catch {
    return null;
  }
}

function sendJson(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * Creates (does not start) the mock server.
 *
 * @example
 * ```ts
 * createMockUpstream({ streamChunks: 10, chunkDelayMs: 0 }).listen(9000, '127.0.0.1');
 * ```
 */
export function createMockUpstream(options: MockUpstreamOptions) {
  const completionCache = new Map<string, string>();
  const streamCache = new Map<string, string[]>();

  function writeStream(response: ServerResponse, events: readonly string[]): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (options.chunkDelayMs <= 0) {
      for (const event of events) response.write(event);
      response.end();
      return;
    }
    let index = 0;
    const writeNext = (): void => {
      if (response.destroyed) return;
      response.write(events[index] as string);
      index += 1;
      if (index >= events.length) response.end();
      else setTimeout(writeNext, options.chunkDelayMs);
    };
    writeNext();
  }

  function handleChat(request: IncomingMessage, response: ServerResponse): void {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const parsed = parseRequest(Buffer.concat(parts).toString('utf8'));
      if (parsed === null) {
        sendJson(
          response,
          400,
          JSON.stringify({
            error: { message: 'body is not JSON', type: 'invalid_request_error', param: null, code: null },
          }),
        );
        return;
      }
      if (parsed.stream) {
        const key = `${parsed.model}\n${parsed.includeUsage}`;
        let events = streamCache.get(key);
        if (events === undefined) {
          events = streamEvents(parsed.model, options.streamChunks, parsed.includeUsage);
          streamCache.set(key, events);
        }
        writeStream(response, events);
        return;
      }
      let body = completionCache.get(parsed.model);
      if (body === undefined) {
        body = completionBody(parsed.model);
        completionCache.set(parsed.model, body);
      }
      sendJson(response, 200, body);
    });
  }

  const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
    const path = request.url ?? '/';
    if (request.method === 'POST' && path.endsWith('/chat/completions')) {
      handleChat(request, response);
    } else if (request.method === 'GET' && path.endsWith('/models')) {
      sendJson(response, 200, modelsBody);
    } else {
      request.resume();
      sendJson(
        response,
        404,
        JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }),
      );
    }
  });
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.maxConnections = 10_000;
  return server;
}

function readInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return value;
}

if (isMainModule(import.meta.url)) {
  const port = readInteger('MOCK_PORT', 0);
  const server = createMockUpstream({
    streamChunks: readInteger('MOCK_STREAM_CHUNKS', 10),
    chunkDelayMs: readInteger('MOCK_CHUNK_DELAY_MS', 0),
  });
  server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
    const address = server.address();
    process.stdout.write(
      `mock upstream listening on 127.0.0.1:${typeof address === 'object' && address !== null ? address.port : port}\n`,
    );
  });
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
