import { Pool, type Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortLatch } from '../../src/contract/abort-latch.ts';
import { StreamingResponseHandler, type StreamingResponseHandlerOptions } from './streaming-response-handler.ts';
import { startTestServer, type TestServer } from '../../test/support/scripted-server.ts';
import type { UpstreamBodySink } from './upstream-body.ts';

let server: TestServer;
let pool: Pool;

beforeEach(async () => {
  server = await startTestServer();
  pool = new Pool(server.origin);
});

afterEach(async () => {
  await pool.destroy();
  await server.close();
});

/** A sink that records what the source told it, in order. */
class RecordingSink implements UpstreamBodySink {
  readonly events: string[] = [];
  text = '';
  /** Called on every chunk (e.g. to pause or abort from inside the delivery). */
  onChunk: ((sink: RecordingSink) => void) | undefined;

  onBytes(bytes: Buffer): void {
    this.events.push('bytes');
    this.text += bytes.toString('utf8');
    this.onChunk?.(this);
  }

  onEnd(): void {
    this.events.push('end');
  }

  onError(error: unknown): void {
    this.events.push(`error: ${error instanceof Error ? error.message : String(error)}`);
  }

  get settled(): boolean {
    const last = this.events.at(-1);
    return last === 'end' || (last?.startsWith('error') ?? false);
  }
}

/** Counts the chunks undici hands over, to tell what was read from the socket. */
class CountingHandler extends StreamingResponseHandler {
  chunkCount = 0;
  ended = false;

  override onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunkCount++;
    super.onResponseData(controller, chunk);
  }

  override onResponseEnd(): void {
    this.ended = true;
    super.onResponseEnd();
  }
}

function post(options: StreamingResponseHandlerOptions = {}): CountingHandler {
  const handler = new CountingHandler(options);
  pool.dispatch(
    { path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
    handler,
  );
  return handler;
}

describe('StreamingResponseHandler', () => {
  it('resolves at the headers of a 2xx answer, before any of the body', async () => {
    server.enqueue({ headers: { 'X-Request-Id': 'req_1' }, chunks: [], hangAfterChunks: true });
    const response = await post().response;
    expect(response).toMatchObject({ statusCode: 200, text: '' });
    expect(response.headers['x-request-id']).toBe('req_1');
    expect(response.headers['content-type']).toBe('text/event-stream');
  });

  it('delivers the chunks to the attached sink as they come, then the end', async () => {
    server.enqueue({ chunks: ['data: a\n\n', { delayMs: 10 }, 'data: b\n\n', { delayMs: 10 }, 'data: c\n\n'] });
    const handler = post();
    await handler.response;
    const sink = new RecordingSink();
    handler.attach(sink);
    await expect.poll(() => sink.settled, { interval: 5 }).toBe(true);
    expect(sink.text).toBe('data: a\n\ndata: b\n\ndata: c\n\n');
    expect(sink.events.filter((event) => event === 'bytes').length).toBeGreaterThan(1);
    expect(sink.events.at(-1)).toBe('end');
  });

  it('holds the body back until a sink is attached: keeps one chunk and stops reading', async () => {
    server.enqueue({ chunks: ['data: 1\n\n', { delayMs: 10 }, 'data: 2\n\n', { delayMs: 10 }, 'data: 3\n\n'] });
    const handler = post();
    await handler.response;
    await expect.poll(() => handler.chunkCount, { interval: 5 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    // All three parts and the end were sent by now; without a sink, none past the first was read.
    expect(handler.chunkCount).toBe(1);
    const sink = new RecordingSink();
    handler.attach(sink);
    expect(sink.text.startsWith('data: 1\n\n')).toBe(true);
    await expect.poll(() => sink.settled, { interval: 5 }).toBe(true);
    expect(sink.text).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    expect(sink.events.at(-1)).toBe('end');
  });

  it('tells a late sink of a body that ended before it came', async () => {
    server.enqueue({ headers: { 'content-type': 'text/event-stream' }, body: '' });
    const handler = post();
    await handler.response;
    await expect.poll(() => handler.ended, { interval: 5 }).toBe(true);
    const sink = new RecordingSink();
    handler.attach(sink);
    expect(sink.events).toEqual(['end']);
  });

  it('tells a late sink of a failure that came before it, after the chunk that arrived', async () => {
    server.enqueue({ chunks: ['data: partial\n\n'], destroyAfterChunks: true });
    const handler = post();
    await handler.response;
    await expect.poll(() => handler.chunkCount, { interval: 5 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const sink = new RecordingSink();
    handler.attach(sink);
    expect(sink.text).toBe('data: partial\n\n');
    // Reading stopped after that chunk: the socket's end is seen once reading resumes.
    await expect.poll(() => sink.settled, { interval: 5 }).toBe(true);
    expect(sink.events).toHaveLength(2);
    expect(sink.events[1]).toMatch(/^error: /);
  });

  it('a paused sink gets nothing more until it resumes', async () => {
    server.enqueue({ chunks: ['data: 1\n\n', { delayMs: 10 }, 'data: 2\n\n', { delayMs: 10 }, 'data: 3\n\n'] });
    const handler = post();
    await handler.response;
    const sink = new RecordingSink();
    sink.onChunk = () => handler.pause();
    handler.attach(sink);
    await expect.poll(() => sink.text, { interval: 5 }).toBe('data: 1\n\n');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sink.text).toBe('data: 1\n\n');
    sink.onChunk = undefined;
    handler.resume();
    await expect.poll(() => sink.settled, { interval: 5 }).toBe(true);
    expect(sink.text).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\n');
  });

  it('abort() mid-body closes the socket and tells the sink; the pool serves the next request', async () => {
    server.enqueue({ chunks: ['data: 1\n\n'], hangAfterChunks: true });
    const handler = post();
    await handler.response;
    const sink = new RecordingSink();
    handler.attach(sink);
    await expect.poll(() => sink.text, { interval: 5 }).toBe('data: 1\n\n');
    handler.abort(new Error('consumer left'));
    expect(sink.events).toEqual(['bytes', 'error: consumer left']);
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
    handler.abort(new Error('again'));
    expect(sink.events).toHaveLength(2);
    server.enqueue({ chunks: ['data: next\n\n'] });
    const next = post();
    await next.response;
    const nextSink = new RecordingSink();
    next.attach(nextSink);
    await expect.poll(() => nextSink.settled, { interval: 5 }).toBe(true);
    expect(nextSink.events.at(-1)).toBe('end');
  });

  it('a sink aborting from inside a delivery gets no chunk after its error', async () => {
    server.enqueue({ chunks: ['data: 1\n\n', { delayMs: 10 }, 'data: 2\n\n'], hangAfterChunks: true });
    const handler = post();
    await handler.response;
    await expect.poll(() => handler.chunkCount, { interval: 5 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const sink = new RecordingSink();
    sink.onChunk = () => handler.abort(new Error('malformed'));
    handler.attach(sink);
    expect(sink.events).toEqual(['bytes', 'error: malformed']);
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('the signal mid-body aborts with its reason, and the handler stops listening once the body is over', async () => {
    server.enqueue({ chunks: ['data: 1\n\n'], hangAfterChunks: true });
    const latch = new AbortLatch();
    const handler = post({ signal: latch });
    await handler.response;
    const sink = new RecordingSink();
    handler.attach(sink);
    await expect.poll(() => sink.text, { interval: 5 }).toBe('data: 1\n\n');
    latch.abort(new Error('caller went away'));
    expect(sink.events).toEqual(['bytes', 'error: caller went away']);
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);

    server.enqueue({ chunks: ['data: 1\n\n'] });
    const completed = new AbortLatch();
    const second = post({ signal: completed });
    await second.response;
    const secondSink = new RecordingSink();
    second.attach(secondSink);
    await expect.poll(() => secondSink.settled, { interval: 5 }).toBe(true);
    const aborted: unknown[] = [];
    second.abort = (reason: unknown) => aborted.push(reason);
    completed.abort();
    expect(aborted).toEqual([]);
  });

  it('rejects with the reason when the signal fires before the headers, and closes the socket', async () => {
    server.enqueue({ hang: true });
    const latch = new AbortLatch();
    const handler = post({ signal: latch });
    await expect.poll(() => server.calls.length, { interval: 5 }).toBe(1);
    const reason = new Error('timed out');
    latch.abort(reason);
    await expect(handler.response).rejects.toBe(reason);
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('rejects at once when aborted before the request reached a socket', async () => {
    const latch = new AbortLatch();
    const reason = new Error('already gone');
    latch.abort(reason);
    await expect(post({ signal: latch }).response).rejects.toBe(reason);
  });

  it('rejects with the transport error when the connection is reset before the headers', async () => {
    server.enqueue({ reset: true });
    await expect(post().response).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
  });

  it('answers a non-2xx response with at most errorBodyLimit bytes of its body, then releases the socket', async () => {
    server.enqueue({
      status: 429,
      headers: { 'retry-after': '2' },
      chunks: ['a'.repeat(600), { delayMs: 5 }, 'b'.repeat(600)],
      hangAfterChunks: true,
    });
    const response = await post({ errorBodyLimit: 1000 }).response;
    expect(response).toMatchObject({ statusCode: 429, text: 'a'.repeat(600) + 'b'.repeat(400) });
    expect(response.headers['retry-after']).toBe('2');
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('answers a non-2xx response whole when it is short, and one cut mid-body with what arrived', async () => {
    server.enqueue({ status: 503, body: { error: { message: 'try later' } } });
    expect(await post({ errorBodyLimit: 1000 }).response).toMatchObject({
      statusCode: 503,
      text: '{"error":{"message":"try later"}}',
    });
    server.enqueue({
      status: 502,
      headers: { 'content-type': 'text/html' },
      chunks: ['<html><title>Bad'],
      destroyAfterChunks: true,
    });
    expect(await post().response).toMatchObject({ statusCode: 502, text: '<html><title>Bad' });
  });
});
