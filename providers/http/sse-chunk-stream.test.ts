import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failureOf } from '../test-support/outcomes.ts';
import { sseData, startTestServer, type ScriptedChunk, type TestServer } from '../test-support/test-server.ts';
import {
  SSE_CHUNK_HIGH_WATER_MARK,
  SseChunkStream,
  type SseChunkOutput,
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

/** `data:` texts until `[DONE]`; counts what it translated, to tell how much is queued. */
class TextTranslator implements SseChunkTranslator<string> {
  translated = 0;

  translate(event: SseEvent, output: SseChunkOutput<string>): boolean {
    if (event.data === '[DONE]') return true;
    if (event.data === 'bad') throw new Error('not a chunk');
    this.translated++;
    output.push(event.event === '' ? event.data : `${event.event}:${event.data}`);
    return false;
  }
}

async function open(
  upstream: UpstreamClient,
  options?: { timeoutMs?: number; signal?: AbortSignal },
): Promise<{ stream: SseChunkStream<string>; translator: TextTranslator }> {
  const response = await upstream.postForStream('/v1/chat/completions', requestBody, options);
  const translator = new TextTranslator();
  return { stream: new SseChunkStream(response.call, response.body, translator), translator };
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

  it('a malformed event fails the stream as protocol and closes the upstream socket', async () => {
    server.enqueue({ chunks: [sseData('ok', 'bad')], hangAfterChunks: true });
    const { stream } = await open(client);
    const received: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of stream) received.push(chunk);
      })(),
    );
    expect(received).toEqual(['ok']);
    expect(error.kind).toBe('protocol');
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
