import { Pool, type Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortLatch } from '../../src/contract/abort-latch.ts';
import { BufferedResponseHandler, type BufferedResponseHandlerOptions } from './buffered-response-handler.ts';
import { startTestServer, type ScriptedChunk, type TestServer } from '../../test/support/scripted-server.ts';

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

/** Counts the chunks undici hands over, to prove a body really arrived in pieces. */
class CountingHandler extends BufferedResponseHandler {
  chunkCount = 0;

  override onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunkCount++;
    super.onResponseData(controller, chunk);
  }
}

function post(options: BufferedResponseHandlerOptions = {}): CountingHandler {
  const handler = new CountingHandler(options);
  pool.dispatch(
    { path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
    handler,
  );
  return handler;
}

/** `bytes` cut into `count` pieces with a short pause between them, so each is its own read. */
function piecesOf(bytes: Buffer, cuts: number[]): ScriptedChunk[] {
  const chunks: ScriptedChunk[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (chunks.length > 0) chunks.push({ delayMs: 5 });
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  return chunks;
}

describe('BufferedResponseHandler', () => {
  it('joins a body split across many chunks, a multi-byte character cut between two of them', async () => {
    const text = JSON.stringify({ content: 'prix: 12 € — 日本語 🚀 done' });
    const bytes = Buffer.from(text);
    const euro = bytes.indexOf(Buffer.from('€'));
    const rocket = bytes.indexOf(Buffer.from('🚀'));
    server.enqueue({
      headers: { 'content-type': 'application/json' },
      chunks: piecesOf(bytes, [5, euro + 1, euro + 2, rocket + 3, rocket + 9]),
    });
    const handler = post();
    const response = await handler.response;
    expect(handler.chunkCount).toBeGreaterThan(2);
    expect(response.statusCode).toBe(200);
    expect(response.text).toBe(text);
    expect(response.headers['content-type']).toBe('application/json');
  });

  it('gives headers with lower-case names, as request() does', async () => {
    server.enqueue({ headers: { 'Retry-After': '3', 'X-Request-Id': 'req_1' }, body: 'ok' });
    const { headers, text } = await post().response;
    expect(text).toBe('ok');
    expect(headers['retry-after']).toBe('3');
    expect(headers['x-request-id']).toBe('req_1');
  });

  it('reads a large body whole', async () => {
    const text = JSON.stringify({ data: 'x'.repeat(3 * 1024 * 1024), tail: 'ü' });
    server.enqueue({ headers: { 'content-type': 'application/json' }, body: text });
    const handler = post();
    const response = await handler.response;
    expect(handler.chunkCount).toBeGreaterThan(1);
    expect(response.text).toBe(text);
  });

  it('skips a leading UTF-8 byte order mark, as body.text() does', async () => {
    server.enqueue({ body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]) });
    expect((await post().response).text).toBe('{"a":1}');
  });

  it('resolves an empty body with an empty text', async () => {
    server.enqueue({ status: 204 });
    expect(await post().response).toMatchObject({ statusCode: 204, text: '' });
  });

  it('keeps at most errorBodyLimit bytes of a non-2xx body, then releases the socket', async () => {
    server.enqueue({
      status: 500,
      headers: { 'content-type': 'text/plain' },
      chunks: ['a'.repeat(600), { delayMs: 5 }, 'b'.repeat(600)],
      hangAfterChunks: true,
    });
    const response = await post({ errorBodyLimit: 1000 }).response;
    expect(response.statusCode).toBe(500);
    expect(response.text).toBe('a'.repeat(600) + 'b'.repeat(400));
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('does not limit a 2xx body', async () => {
    server.enqueue({ body: 'c'.repeat(5000) });
    expect((await post({ errorBodyLimit: 1000 }).response).text).toHaveLength(5000);
  });

  it('answers a non-2xx response cut mid-body with what arrived', async () => {
    server.enqueue({
      status: 502,
      headers: { 'content-type': 'text/html' },
      chunks: ['<html><title>Bad'],
      destroyAfterChunks: true,
    });
    expect(await post().response).toMatchObject({ statusCode: 502, text: '<html><title>Bad' });
  });

  it('rejects with the transport error when a 2xx body is cut mid-way', async () => {
    server.enqueue({
      headers: { 'content-type': 'application/json' },
      chunks: ['{"partial":'],
      destroyAfterChunks: true,
    });
    await expect(post().response).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
  });

  it('aborts mid-body with the signal: rejects with its reason, closes the socket, stops listening', async () => {
    server.enqueue({ headers: { 'content-type': 'application/json' }, chunks: ['{"partial":'], hangAfterChunks: true });
    const latch = new AbortLatch();
    const handler = post({ signal: latch });
    await expect.poll(() => handler.chunkCount, { interval: 5 }).toBe(1);
    const reason = new Error('caller went away');
    latch.abort(reason);
    await expect(handler.response).rejects.toBe(reason);
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
    // The pool is healthy afterwards: the next request gets a fresh connection.
    server.enqueue({ body: 'next' });
    expect((await post().response).text).toBe('next');
  });

  it('rejects at once when aborted before the request reached a socket', async () => {
    const latch = new AbortLatch();
    const reason = new Error('already gone');
    latch.abort(reason);
    await expect(post({ signal: latch }).response).rejects.toBe(reason);
  });

  it('removes its abort listener once the response completed', async () => {
    server.enqueue({ body: 'done' });
    const latch = new AbortLatch();
    const handler = post({ signal: latch });
    await handler.response;
    const aborted: unknown[] = [];
    handler.abort = (reason: unknown) => aborted.push(reason);
    latch.abort();
    expect(aborted).toEqual([]);
  });
});
