import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderError } from '../../src/contract/provider-error.ts';
import { failureOf } from '../test-support/outcomes.ts';
import { sseData, startTestServer, type ScriptedChunk, type TestServer } from '../../test/support/scripted-server.ts';
import type { CallOptions, MalformedStreamEvent } from '../../src/contract/provider-adapter.ts';
import {
  SSE_CHUNK_HIGH_WATER_MARK,
  SseChunkStream,
  type SseChunkOutput,
  type SseChunkStreamOptions,
  type SseChunkTranslator,
} from './sse-chunk-stream.ts';
import type { SseEvent } from './sse-parser.ts';
import { UpstreamClient } from './upstream-client.ts';

const requestBody = '{"stream":true}';

let server: TestServer;
let client: UpstreamClient;

beforeEach(async () => {
  server = await startTestServer();
  client = new UpstreamClient({ provider: 'primary', baseURL: server.origin, headers: {} });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

/**
 * `data:` texts until `[DONE]`; counts what it translated, to tell how much is queued. `bad` is malformed,
 * events named `keepalive` are keep-alives, and a body may end without `[DONE]` once `fin` came.
 */
class TextTranslator implements SseChunkTranslator<string> {
  translated = 0;
  #finished = false;

  translate(event: SseEvent, output: SseChunkOutput<string>): boolean {
    if (event.data === '[DONE]') return true;
    if (event.data === 'bad') throw new Error('not a chunk');
    if (event.data === 'fin') this.#finished = true;
    this.translated++;
    output.push(event.event === '' ? event.data : `${event.event}:${event.data}`);
    return false;
  }

  isKeepAlive(event: SseEvent): boolean {
    return event.event === 'keepalive';
  }

  completeAtEnd(): boolean {
    return this.#finished;
  }
}

/** Options of `open`: the call's and the stream's. */
type OpenOptions = CallOptions & SseChunkStreamOptions<string>;

/** Chunks starting with `role` are not content (as a role-only chat chunk is not). */
const isContent = (chunk: string): boolean => !chunk.startsWith('role');

async function open(
  upstream: UpstreamClient,
  options?: OpenOptions,
): Promise<{ stream: SseChunkStream<string>; translator: TextTranslator }> {
  const response = await upstream.postForStream('/v1/chat/completions', requestBody, options);
  const translator = new TextTranslator();
  return {
    stream: new SseChunkStream(response.call, response.body, translator, { isContent, ...options }),
    translator,
  };
}

async function drain(stream: AsyncIterable<string>): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An upstream writing `total` SSE events as fast as the socket takes them, noting when `write()` pushed back. */
interface FloodServer {
  origin: string;
  total: number;
  /** Events written so far. */
  written: number;
  /** True once `write()` returned false (the client stopped reading). */
  blocked: boolean;
  /** True once the response was closed before it was complete. */
  closedEarly: boolean;
  close(): Promise<void>;
}

async function startFloodServer(total: number): Promise<FloodServer> {
  const flood: FloodServer = {
    origin: '',
    total,
    written: 0,
    blocked: false,
    closedEarly: false,
    close: async () => undefined,
  };
  const event = sseData({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { content: 'x'.repeat(120) } }],
  });
  const httpServer: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.on('close', () => {
        flood.closedEarly = !response.writableFinished;
      });
      const writeMore = (): void => {
        while (flood.written < total) {
          flood.written++;
          if (!response.write(event)) {
            flood.blocked = true;
            response.once('drain', writeMore);
            return;
          }
        }
        response.end(sseData('[DONE]'));
      };
      writeMore();
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  flood.origin = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  flood.close = () => {
    httpServer.closeAllConnections();
    return new Promise<void>((resolve) => httpServer.close(() => resolve()));
  };
  return flood;
}

describe('SseChunkStream over a real socket', () => {
  it('a slow consumer of a long stream keeps the queue bounded and the upstream pushed back, then gets every chunk', async () => {
    const flood = await startFloodServer(100_000);
    const upstream = new UpstreamClient({ provider: 'primary', baseURL: flood.origin, headers: {} });
    try {
      const { stream, translator } = await open(upstream);
      expect((await stream.next()).done).toBe(false);
      // The consumer stalls: the body is paused, so reading stops and the upstream's writes back up.
      await expect.poll(() => flood.blocked, { interval: 5 }).toBe(true);
      await sleep(100);
      const translatedWhileStalled = translator.translated;
      await sleep(50);
      expect(translator.translated).toBe(translatedWhileStalled);
      // Queued: the high-water mark plus what one socket read held, far from the whole stream.
      expect(translatedWhileStalled).toBeGreaterThanOrEqual(SSE_CHUNK_HIGH_WATER_MARK);
      expect(translatedWhileStalled).toBeLessThan(2000);
      expect(flood.written).toBeLessThan(flood.total);
      const rest = await drain(stream);
      expect(rest).toHaveLength(flood.total - 1);
      expect(flood.closedEarly).toBe(false);
    } finally {
      await upstream.close();
      await flood.close();
    }
  });

  it('return() while the body is paused closes the upstream socket', async () => {
    const flood = await startFloodServer(100_000);
    const upstream = new UpstreamClient({ provider: 'primary', baseURL: flood.origin, headers: {} });
    try {
      const { stream } = await open(upstream);
      expect((await stream.next()).done).toBe(false);
      await expect.poll(() => flood.blocked, { interval: 5 }).toBe(true);
      expect(await stream.return()).toEqual({ value: undefined, done: true });
      await expect.poll(() => flood.closedEarly, { interval: 5 }).toBe(true);
      expect(flood.written).toBeLessThan(flood.total);
      expect(await stream.next()).toEqual({ value: undefined, done: true });
    } finally {
      await upstream.close();
      await flood.close();
    }
  });

  it('an early return() closes the upstream socket, and the pool serves the next stream', async () => {
    server.enqueue({ chunks: [sseData('one'), { delayMs: 10 }, sseData('two')], hangAfterChunks: true });
    const { stream } = await open(client);
    for await (const chunk of stream) {
      expect(chunk).toBe('one');
      break;
    }
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
    server.enqueue({ chunks: [sseData('again', '[DONE]')] });
    expect(await drain((await open(client)).stream)).toEqual(['again']);
  });

  it('reuses the connection for the next stream once one completed', async () => {
    server.enqueue({ chunks: [sseData('a', '[DONE]')] }, { chunks: [sseData('b', '[DONE]')] });
    expect(await drain((await open(client)).stream)).toEqual(['a']);
    await sleep(5);
    expect(await drain((await open(client)).stream)).toEqual(['b']);
    expect(server.calls[1]?.remotePort).toBe(server.calls[0]?.remotePort);
  });

  it('parses many events split at every possible byte boundary', async () => {
    const texts = ['héllo', '😀 wide', '世界', 'multi\nline', 'plain'];
    const bytes = Buffer.from(
      `: comment\n${texts
        .map(
          (text) =>
            text
              .split('\n')
              .map((line) => `data: ${line}\n`)
              .join('') + '\n',
        )
        .join('')}event: note\ndata: tail\n\n${sseData('[DONE]')}`,
    );
    const expected = [...texts, 'note:tail'];
    for (let cut = 1; cut < bytes.length; cut++) {
      const chunks: ScriptedChunk[] = [bytes.subarray(0, cut), { delayMs: 1 }, bytes.subarray(cut)];
      server.enqueue({ chunks });
      expect(await drain((await open(client)).stream), `cut at byte ${cut}`).toEqual(expected);
    }
  });

  it('holds the body back until the stream is built, and still times out a silence meanwhile', async () => {
    server.enqueue({ chunks: [sseData('early')], hangAfterChunks: true });
    const response = await client.postForStream('/v1/chat/completions', requestBody, { timeoutMs: 100 });
    await sleep(250);
    const stream = new SseChunkStream(response.call, response.body, new TextTranslator());
    const received: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of stream) received.push(chunk);
      })(),
    );
    expect(received).toEqual(['early']);
    expect(error.kind).toBe('timeout');
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('skips malformed events and reports each; one more than allowed fails the stream as protocol and closes the socket', async () => {
    server.enqueue(
      { chunks: [sseData('a', 'bad', 'b', 'bad', 'bad', 'c', '[DONE]')] },
      { chunks: [sseData('ok', 'bad', 'bad', 'bad', 'bad', 'never')], hangAfterChunks: true },
    );
    const reported: MalformedStreamEvent[] = [];
    const onMalformedEvent = (event: MalformedStreamEvent) => reported.push(event);
    expect(await drain((await open(client, { onMalformedEvent })).stream)).toEqual(['a', 'b', 'c']);
    expect(reported).toHaveLength(3);
    expect(reported[0]).toEqual({ provider: 'primary', reason: 'not a chunk' });

    const { stream } = await open(client, { onMalformedEvent });
    const received: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of stream) received.push(chunk);
      })(),
    );
    expect(received).toEqual(['ok']);
    expect(error.kind).toBe('protocol');
    expect(error.message).toContain('4 malformed stream events');
    expect(reported).toHaveLength(7);
    await server.calls[1]?.closed;
    expect(server.calls[1]?.abortedByClient).toBe(true);
  });

  it('a body that ends cleanly without [DONE] is complete once the answer finished, a failure before', async () => {
    server.enqueue({ chunks: [sseData('a', 'fin', 'usage')] }, { chunks: [sseData('a', 'b')] });
    expect(await drain((await open(client)).stream)).toEqual(['a', 'fin', 'usage']);
    const received: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of (await open(client)).stream) received.push(chunk);
      })(),
    );
    expect(received).toEqual(['a', 'b']);
    expect(error.kind).toBe('protocol');
    expect(error.message).toContain('ended before its end event');
  });

  it('a stream without any content chunk is a retryable failure, with or without [DONE]', async () => {
    server.enqueue({ chunks: [sseData('[DONE]')] }, { chunks: [sseData('role', '[DONE]')] }, { chunks: [] });
    for (let index = 0; index < 3; index++) {
      const error = await failureOf(drain((await open(client)).stream));
      expect(error).toMatchObject({ kind: 'protocol', isRetryable: true });
      expect(error.message).toContain('without any content');
    }
  });

  it('an event longer than the cap fails the stream as protocol and closes the socket', async () => {
    server.enqueue({ chunks: [sseData('ok'), 'data: ' + 'x'.repeat(3000)], hangAfterChunks: true });
    const received: string[] = [];
    const { stream } = await open(client, { maxEventLength: 1000, timeoutMs: 5000 });
    const error = await failureOf(
      (async () => {
        for await (const chunk of stream) received.push(chunk);
      })(),
    );
    expect(received).toEqual(['ok']);
    expect(error.kind).toBe('protocol');
    expect(error.message).toContain('longer than 1000 characters');
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });
  it("the caller's abort while the body is paused fails the stream as aborted and closes the socket", async () => {
    const flood = await startFloodServer(100_000);
    const upstream = new UpstreamClient({ provider: 'primary', baseURL: flood.origin, headers: {} });
    try {
      const controller = new AbortController();
      const { stream } = await open(upstream, { signal: controller.signal });
      expect((await stream.next()).done).toBe(false);
      await expect.poll(() => flood.blocked, { interval: 5 }).toBe(true);
      controller.abort();
      const error = await failureOf(drain(stream));
      expect(error.kind).toBe('aborted');
      await expect.poll(() => flood.closedEarly, { interval: 5 }).toBe(true);
    } finally {
      await upstream.close();
      await flood.close();
    }
  });
});

describe('SseChunkStream timeouts: progress, not bytes', () => {
  // Each upstream below keeps sending for 20 s: a stream that counted its bytes as progress would outlive the test.
  async function failureWith(options: OpenOptions): Promise<{ received: string[]; error: ProviderError }> {
    const received: string[] = [];
    const { stream } = await open(client, options);
    const error = await failureOf(
      (async () => {
        for await (const chunk of stream) received.push(chunk);
      })(),
    );
    return { received, error };
  }

  it('the first-token window runs from the start of the call, and chunks without content do not end it', async () => {
    const roleEvery30Ms: ScriptedChunk[] = [];
    for (let index = 0; index < 40; index++) roleEvery30Ms.push(sseData('role'), { delayMs: 30 });
    server.enqueue({ chunks: roleEvery30Ms, hangAfterChunks: true });
    const { received, error } = await failureWith({ timeoutMs: 10_000, firstTokenTimeoutMs: 200 });
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe('primary: upstream sent no content within 200 ms');
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(40);
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('the first-token window covers a silence before the headers, bounded by the call timeout when smaller', async () => {
    server.enqueue({ hang: true }, { hang: true });
    const first = await failureOf(
      client.postForStream('/v1/chat/completions', requestBody, { timeoutMs: 10_000, firstTokenTimeoutMs: 100 }),
    );
    expect(first.message).toBe('primary: upstream sent no content within 100 ms');
    const second = await failureOf(
      client.postForStream('/v1/chat/completions', requestBody, { timeoutMs: 100, firstTokenTimeoutMs: 10_000 }),
    );
    expect(second.message).toBe('primary: upstream sent no content within 100 ms');
  });

  it('comments do not count as progress: an upstream sending only `: ping` after its first token times out', async () => {
    const pings: ScriptedChunk[] = [sseData('first')];
    for (let index = 0; index < 1000; index++) pings.push({ delayMs: 20 }, ': ping\n\n');
    server.enqueue({ chunks: pings, hangAfterChunks: true });
    const { received, error } = await failureWith({ timeoutMs: 10_000, streamIdleTimeoutMs: 200 });
    expect(received).toEqual(['first']);
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe('primary: upstream stream was silent for 200 ms');
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('partial lines do not count as progress: an upstream dripping a byte every 20 ms times out', async () => {
    const drip: ScriptedChunk[] = [sseData('first')];
    for (const character of 'data: ' + 'x'.repeat(1000)) drip.push({ delayMs: 20 }, character);
    server.enqueue({ chunks: drip, hangAfterChunks: true });
    const { received, error } = await failureWith({ timeoutMs: 10_000, streamIdleTimeoutMs: 200 });
    expect(received).toEqual(['first']);
    expect(error.message).toBe('primary: upstream stream was silent for 200 ms');
  });

  it('keep-alive events do not count as progress', async () => {
    const keepAlives: ScriptedChunk[] = [sseData('first')];
    for (let index = 0; index < 1000; index++) keepAlives.push({ delayMs: 20 }, 'event: keepalive\ndata: {}\n\n');
    server.enqueue({ chunks: keepAlives, hangAfterChunks: true });
    const { received, error } = await failureWith({ timeoutMs: 10_000, streamIdleTimeoutMs: 200 });
    expect(received).toEqual(['first']);
    expect(error.kind).toBe('timeout');
  });

  it('each complete event restarts the idle window: a stream longer than the window but never silent completes', async () => {
    const steady: ScriptedChunk[] = [];
    for (let index = 0; index < 12; index++) steady.push(sseData(`c${index}`), { delayMs: 50 });
    steady.push(sseData('[DONE]'));
    server.enqueue({ chunks: steady });
    const { stream } = await open(client, { timeoutMs: 10_000, firstTokenTimeoutMs: 200, streamIdleTimeoutMs: 200 });
    expect(await drain(stream)).toHaveLength(12);
  });
});
