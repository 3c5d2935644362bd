/**
 * The clients of `npm run chaos`, each one request at a time against the gateway: normal callers
 * (streamed and not), hostile bodies, slow readers and clients that disconnect. Each request ends
 * in an `Outcome`; a request not finished within the hang bound is `hung`, a connection the
 * gateway dropped (or a stream cut without its end) is `lost`.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';

/** The kinds of clients. */
export type ClientKind = 'normal' | 'hostile' | 'slow-reader' | 'disconnect';

/** How one request ended. */
export interface Outcome {
  client: ClientKind;
  /** `answered`: a whole response read; `disconnected`: the client went away on purpose. */
  result: 'answered' | 'hung' | 'lost' | 'disconnected';
  status?: number;
  /** A 5xx (or error event) the gateway caused itself, not an upstream's. */
  gatewayFault?: boolean;
  /** What the client read, checked for leaked keys by the caller (bounded). */
  text?: string;
  detail?: string;
}

/** Where and how to call the gateway. */
export interface ClientTarget {
  origin: string;
  apiKey: string;
  model: string;
  /** A request not finished within this is `hung`. */
  hangBoundMs: number;
}

const TEXT_KEPT = 64 * 1024;

/** True for answers the gateway made up on its own account: `internal_error`, or a 5xx without an error body. */
export function isGatewayFault(status: number, text: string): boolean {
  if (text.includes('"internal_error"')) return true;
  return status >= 500 && !text.includes('"error"');
}

/** A stream read to its end must end with its last event (`[DONE]`, `message_stop`) or an error event; otherwise it was cut. */
export function streamEnded(text: string): boolean {
  return (
    text.includes('data: [DONE]') ||
    text.includes('event: message_stop') ||
    text.includes('data: {"error"') ||
    text.includes('event: error')
  );
}

function body(stream: boolean, model: string, endpoint: string): string {
  const messages = [{ role: 'user', content: 'chaos' }];
  if (endpoint === '/v1/messages') return JSON.stringify({ model, max_tokens: 16, stream, messages });
  return JSON.stringify({ model, stream, messages });
}

/** A normal call with fetch: chat or messages, streamed or not, read to the end. */
export async function normalRequest(target: ClientTarget, random: () => number): Promise<Outcome> {
  const stream = random() < 0.5;
  const endpoint = random() < 0.8 ? '/v1/chat/completions' : '/v1/messages';
  return fetchOutcome('normal', target, endpoint, body(stream, target.model, endpoint));
}

/** Bodies a hostile client sends: deep, huge, broken, odd fields. All must get a 4xx at worst, never a 5xx of the gateway's own. */
export function hostileBodies(model: string): string[] {
  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  return [
    `{"model":"${model}","messages":[{"role":"user","content":"x"}],"stream":null,"extra":${deep(10_000)}}`,
    `{"model":"${model}","max_tokens":5,"messages":[{"role":"user","content":"x"}],"tools":[null],"x":${deep(3_000)}}`,
    `{"model":"${'m'.repeat(300)}","messages":[{"role":"user","content":"x"}]}`,
    `{"model":"${model}","messages":[{"role":"user","content":"${'a'.repeat(2 * 1024 * 1024)}"}]}`,
    '{"model": "chaos-model", "messages": [',
    '\u0000\u00ff\ud800garbage',
    `{"model":"${model}","messages":[{"role":"user","content":[null,7,{"type":null}]}],"n":-1}`,
    `{"model":"${model}","messages":[],"stream":"yes"}`,
    JSON.stringify({ model: `${model}"\\\n😀`, messages: [{ role: 'user', content: 'x' }] }),
  ];
}

let hostileCache: { model: string; bodies: string[] } | undefined;

/** One hostile body on one endpoint. */
export async function hostileRequest(target: ClientTarget, random: () => number): Promise<Outcome> {
  // Built once: the clients' own CPU time must not starve the process that reads the answers.
  if (hostileCache?.model !== target.model) hostileCache = { model: target.model, bodies: hostileBodies(target.model) };
  const bodies = hostileCache.bodies;
  const text = bodies[Math.floor(random() * bodies.length)]!;
  const endpoints = ['/v1/chat/completions', '/v1/messages', '/v1/embeddings'];
  return fetchOutcome('hostile', target, endpoints[Math.floor(random() * endpoints.length)]!, text);
}

async function fetchOutcome(client: ClientKind, target: ClientTarget, path: string, text: string): Promise<Outcome> {
  const signal = AbortSignal.timeout(target.hangBoundMs);
  let response: Response;
  try {
    response = await fetch(`${target.origin}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${target.apiKey}`,
        'x-api-key': target.apiKey,
      },
      body: text,
      signal,
    });
  } catch (error) {
    return failure(client, signal, error);
  }
  let read = '';
  try {
    const decoder = new TextDecoder();
    for await (const piece of response.body ?? []) {
      read += decoder.decode(piece as Uint8Array, { stream: true });
      if (read.length > 4 * TEXT_KEPT) read = `${read.slice(0, TEXT_KEPT)}${read.slice(-TEXT_KEPT)}`;
    }
  } catch (error) {
    const where = `${path} ${text.includes('"stream":true') ? 'stream' : 'whole'} id ${response.headers.get('x-request-id')} after ${read.length} chars: ${read.slice(-120)}`;
    return failure(client, signal, error, response.status, where);
  }
  const kept = read.length > TEXT_KEPT ? `${read.slice(0, TEXT_KEPT / 2)}${read.slice(-TEXT_KEPT / 2)}` : read;
  const isStream = (response.headers.get('content-type') ?? '').includes('text/event-stream');
  if (isStream && response.status === 200 && !streamEnded(read))
    return {
      client,
      result: 'lost',
      status: response.status,
      text: kept,
      detail: 'stream cut without [DONE] or an error event',
    };
  return {
    client,
    result: 'answered',
    status: response.status,
    gatewayFault: isGatewayFault(response.status, read),
    text: kept,
  };
}

function failure(client: ClientKind, signal: AbortSignal, error: unknown, status?: number, where = ''): Outcome {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = `${(error as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''} ${where}`.trim();
  return { client, result: signal.aborted ? 'hung' : 'lost', ...(status !== undefined ? { status } : {}), detail };
}

/** Raw `node:http` request helper: resolves with the response, or rejects on a connection error. */
function rawRequest(
  target: ClientTarget,
  path: string,
  text: string,
  onRequest?: (request: ReturnType<typeof httpRequest>) => void,
) {
  const url = new URL(path, target.origin);
  return new Promise<IncomingMessage>((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${target.apiKey}`,
          'content-length': Buffer.byteLength(text),
        },
        agent: false,
      },
      resolve,
    );
    request.on('error', reject);
    onRequest?.(request);
    request.end(text);
  });
}

/** A streamed call read slowly: one chunk, then a pause of 10–60 ms, to the end. */
export async function slowReaderRequest(target: ClientTarget, random: () => number): Promise<Outcome> {
  const started = Date.now();
  let response: IncomingMessage;
  try {
    response = await rawRequest(target, '/v1/chat/completions', body(true, target.model, '/v1/chat/completions'));
  } catch (error) {
    return { client: 'slow-reader', result: 'lost', detail: (error as Error).message };
  }
  return new Promise<Outcome>((resolve) => {
    let text = '';
    let finished = false;
    const finish = (outcome: Outcome) => {
      if (finished) return;
      finished = true;
      clearTimeout(hang);
      resolve(outcome);
    };
    const hang = setTimeout(
      () => {
        response.destroy();
        finish({ client: 'slow-reader', result: 'hung', status: response.statusCode ?? 0 });
      },
      target.hangBoundMs - (Date.now() - started),
    );
    response.setEncoding('utf8');
    response.on('data', (piece: string) => {
      if (text.length < TEXT_KEPT) text += piece;
      response.pause();
      setTimeout(() => response.resume(), 10 + random() * 50);
    });
    response.on('end', () => {
      const status = response.statusCode ?? 0;
      const isStream = (response.headers['content-type'] ?? '').includes('text/event-stream');
      if (isStream && status === 200 && !streamEnded(text) && text.length < TEXT_KEPT)
        finish({
          client: 'slow-reader',
          result: 'lost',
          status,
          text,
          detail: 'stream cut without [DONE] or an error event',
        });
      else
        finish({ client: 'slow-reader', result: 'answered', status, gatewayFault: isGatewayFault(status, text), text });
    });
    response.on('error', (error) =>
      finish({ client: 'slow-reader', result: 'lost', status: response.statusCode ?? 0, detail: error.message }),
    );
  });
}

/**
 * A client that goes away on purpose: mid-body (headers promise more than it sends), right after
 * the response headers, or after the first chunk of a stream.
 */
export async function disconnectRequest(target: ClientTarget, random: () => number): Promise<Outcome> {
  const how = Math.floor(random() * 3);
  const text = body(true, target.model, '/v1/chat/completions');
  if (how === 0) {
    return new Promise<Outcome>((resolve) => {
      const url = new URL('/v1/chat/completions', target.origin);
      const request = httpRequest(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${target.apiKey}`,
          'content-length': 10_000,
        },
        agent: false,
      });
      request.on('error', () => resolve({ client: 'disconnect', result: 'disconnected' }));
      request.on('response', (response) => {
        response.resume();
        resolve({ client: 'disconnect', result: 'disconnected', status: response.statusCode ?? 0 });
      });
      request.write(text.slice(0, 20));
      setTimeout(
        () => {
          request.destroy();
          resolve({ client: 'disconnect', result: 'disconnected' });
        },
        20 + random() * 200,
      );
    });
  }
  let response: IncomingMessage;
  try {
    response = await rawRequest(target, '/v1/chat/completions', text);
  } catch {
    return { client: 'disconnect', result: 'disconnected' };
  }
  const status = response.statusCode ?? 0;
  if (how === 1) {
    response.destroy();
    return { client: 'disconnect', result: 'disconnected', status };
  }
  return new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => {
      response.destroy();
      resolve({ client: 'disconnect', result: 'disconnected', status });
    }, target.hangBoundMs);
    response.once('data', () => {
      clearTimeout(timer);
      response.destroy();
      resolve({ client: 'disconnect', result: 'disconnected', status });
    });
    response.once('end', () => {
      clearTimeout(timer);
      resolve({ client: 'disconnect', result: 'disconnected', status });
    });
    response.once('error', () => {
      clearTimeout(timer);
      resolve({ client: 'disconnect', result: 'disconnected', status });
    });
  });
}
