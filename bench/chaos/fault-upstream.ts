/**
 * The hostile upstream of `npm run chaos`: one `node:http` server on 127.0.0.1 playing several
 * OpenAI-compatible providers, one per path prefix (`/<profile>/v1/...`). Each profile draws a
 * fault per request from its own mix: healthy answers, 500s, hangs, resets, drips, comment-only
 * streams, giant bodies, newline-free streams, and errors that echo the caller's key.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createSeededRandom } from '../../src/contract/seeded-random.ts';
import { isMainModule } from '../main-module.ts';

/** What the upstream does with one request. */
export type Fault =
  | 'healthy'
  | 'long-stream'
  | 'error-500'
  | 'hang'
  | 'reset'
  | 'drip'
  | 'comments-only'
  | 'giant-body'
  | 'newline-free'
  | 'leak-key';

/** Each profile (one configured provider) and the weights of its faults. */
export const PROFILES: Readonly<Record<string, Partial<Record<Fault, number>>>> = {
  steady: { healthy: 8, 'long-stream': 2 },
  flaky: { healthy: 4, 'error-500': 4, reset: 2 },
  slow: { healthy: 2, hang: 3, drip: 3, 'comments-only': 2 },
  broken: { healthy: 3, 'giant-body': 2, 'newline-free': 2, 'leak-key': 3 },
};

/** Bytes a giant body or a newline-free stream sends at most (the gateway should cut it far earlier). */
const GIANT_BYTES = 32 * 1024 * 1024;
const WRITE_SIZE = 64 * 1024;

/** The running fault upstream. */
export interface FaultUpstream {
  /** `http://127.0.0.1:PORT/<profile>/v1`. */
  baseURL(profile: string): string;
  /** Requests seen per fault. */
  served: Record<Fault, number>;
  close(): Promise<void>;
}

/** The `baseURL` of the provider playing `profile` on a fault upstream listening on `port`. */
export function faultBaseURL(port: number, profile: string): string {
  return `http://127.0.0.1:${port}/${profile}/v1`;
}

/** Draws a fault from weights with `random()` in [0, 1). */
export function drawFault(weights: Partial<Record<Fault, number>>, random: () => number): Fault {
  const entries = Object.entries(weights) as [Fault, number][];
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let point = random() * total;
  for (const [fault, weight] of entries) {
    point -= weight;
    if (point < 0) return fault;
  }
  return entries[entries.length - 1]![0];
}

function chunk(content: string | null): string {
  const delta = content === null ? {} : { content };
  const choice = { index: 0, delta, finish_reason: content === null ? 'stop' : null };
  return `data: ${JSON.stringify({ id: 'chaos', object: 'chat.completion.chunk', created: 1, model: 'chaos-model', choices: [choice] })}\n\n`;
}

function completion(content: string): string {
  return JSON.stringify({
    id: 'chaos',
    object: 'chat.completion',
    created: 1,
    model: 'chaos-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  });
}

/** Writes until `total` bytes are out or the socket is gone, respecting back-pressure. */
function pour(response: ServerResponse, piece: string, total: number, then: () => void): void {
  let sent = 0;
  const step = () => {
    while (sent < total && !response.destroyed) {
      sent += piece.length;
      if (!response.write(piece)) {
        response.once('drain', step);
        return;
      }
    }
    if (!response.destroyed) then();
  };
  step();
}

/** Sends `text` one byte every `everyMs`, for at most `maxMs`. */
function drip(response: ServerResponse, text: string, everyMs: number, timers: Set<NodeJS.Timeout>): void {
  let index = 0;
  const timer = setInterval(() => {
    if (response.destroyed || index >= text.length) {
      clearInterval(timer);
      timers.delete(timer);
      if (!response.destroyed) response.end();
      return;
    }
    response.write(text[index]!);
    index += 1;
  }, everyMs);
  timers.add(timer);
}

function play(
  fault: Fault,
  request: IncomingMessage,
  response: ServerResponse,
  stream: boolean,
  timers: Set<NodeJS.Timeout>,
): void {
  const key = String(request.headers.authorization ?? request.headers['x-api-key'] ?? '');
  const sse = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
  switch (fault) {
    case 'hang':
      return;
    case 'reset':
      request.socket.destroy();
      return;
    case 'error-500':
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'chaos: internal error', type: 'server_error' } }));
      return;
    case 'leak-key': {
      // Echo the caller's key in an HTTP error body, as the first stream event, or mid-stream.
      const message = `chaos: rejected credentials ${key} (raw ${key.replace(/^Bearer /, '')})`;
      const where = Math.floor(Math.random() * 3);
      if (where === 0 || !stream) {
        response.writeHead(where === 0 ? 401 : 500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
        return;
      }
      response.writeHead(200, sse);
      if (where === 2) response.write(chunk('partial '));
      response.end(`data: ${JSON.stringify({ error: { message, type: 'server_error' } })}\n\n`);
      return;
    }
    case 'giant-body':
      if (stream) {
        response.writeHead(200, sse);
        // One event far over the per-event cap.
        response.write('data: {"choices":[{"index":0,"delta":{"content":"');
        pour(response, 'x'.repeat(WRITE_SIZE), GIANT_BYTES, () => response.end('"}}]}\n\n'));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id":"chaos","object":"chat.completion","pad":"');
      pour(response, 'x'.repeat(WRITE_SIZE), GIANT_BYTES, () => response.end('"}'));
      return;
    case 'newline-free':
      response.writeHead(200, stream ? sse : { 'content-type': 'application/json' });
      pour(response, 'data: y'.padEnd(WRITE_SIZE, 'y'), GIANT_BYTES, () => response.end());
      return;
    case 'drip':
      response.writeHead(200, stream ? sse : { 'content-type': 'application/json' });
      drip(response, stream ? `${chunk('drip')}${chunk(null)}data: [DONE]\n\n` : completion('drip'), 100, timers);
      return;
    case 'comments-only': {
      response.writeHead(200, stream ? sse : { 'content-type': 'application/json' });
      const timer = setInterval(() => {
        if (response.destroyed) {
          clearInterval(timer);
          timers.delete(timer);
          return;
        }
        response.write(stream ? ': ping\n\n' : ' ');
      }, 200);
      timers.add(timer);
      return;
    }
    case 'long-stream':
    case 'healthy': {
      if (!stream) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(completion('chaos ok'));
        return;
      }
      response.writeHead(200, sse);
      const pieces = fault === 'long-stream' ? 200 : 3;
      let index = 0;
      const timer = setInterval(() => {
        if (response.destroyed) {
          clearInterval(timer);
          timers.delete(timer);
          return;
        }
        if (index < pieces) response.write(chunk(`piece ${index} `.padEnd(200, '.')));
        else {
          clearInterval(timer);
          timers.delete(timer);
          response.end(`${chunk(null)}data: [DONE]\n\n`);
        }
        index += 1;
      }, 5);
      timers.add(timer);
    }
  }
}

/**
 * Starts the fault upstream on an ephemeral port.
 *
 * @example
 * ```ts
 * const upstream = await startFaultUpstream();
 * upstream.baseURL('flaky'); // a provider's baseURL
 * ```
 */
export async function startFaultUpstream(random: () => number = Math.random, port = 0): Promise<FaultUpstream> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const served = Object.fromEntries(
    [
      'healthy',
      'long-stream',
      'error-500',
      'hang',
      'reset',
      'drip',
      'comments-only',
      'giant-body',
      'newline-free',
      'leak-key',
    ].map((fault) => [fault, 0]),
  ) as Record<Fault, number>;
  const server: Server = createServer((request, response) => {
    const profile = (request.url ?? '').split('/')[1] ?? '';
    if (request.method === 'GET' && request.url === '/__stats') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(served));
      return;
    }
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"object":"list","data":[]}');
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    request.on('data', (part: Buffer) => {
      size += part.length;
      if (size <= 2 * 1024 * 1024) parts.push(part);
    });
    request.on('end', () => {
      let stream = false;
      try {
        stream = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { stream?: unknown }).stream === true;
      } catch {
        // not JSON: answered as not streamed
      }
      const fault = drawFault(PROFILES[profile] ?? PROFILES.steady!, random);
      served[fault] += 1;
      play(fault, request, response, stream, timers);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const listening = (server.address() as AddressInfo).port;
  return {
    baseURL: (profile) => faultBaseURL(listening, profile),
    served,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// `node --import tsx bench/chaos/fault-upstream.ts --port N`: its own process, so the clients'
// work does not slow the upstream down (and the reverse). `GET /__stats` answers the faults served.
if (isMainModule(import.meta.url)) {
  const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
  await startFaultUpstream(createSeededRandom(1_202), port);
}
