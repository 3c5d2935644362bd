import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BufferedResponseHandler } from './buffered-response-handler.ts';
import { rawJson } from '../../src/contract/provider-adapter.ts';
import { OpenAIChunkTranslator } from '../openai/openai-chunk-translator.ts';
import { SseChunkStream } from './sse-chunk-stream.ts';
import { openAICompletion } from '../test-support/openai-fixtures.ts';
import { failureOf } from '../test-support/outcomes.ts';
import { sseData, startTestServer, type ScriptedChunk, type TestServer } from '../../test/support/scripted-server.ts';
import { UpstreamClient } from './upstream-client.ts';

const API_KEY = 'sk-test-secret-key-1234567890';
const requestBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });

let server: TestServer;
let client: UpstreamClient;
let path: string;

beforeEach(async () => {
  server = await startTestServer();
  client = new UpstreamClient({
    provider: 'primary',
    baseURL: `${server.origin}/v1?api-version=1`,
    headers: { authorization: `Bearer ${API_KEY}` },
    secrets: [API_KEY],
  });
  path = client.resolvePath('/chat/completions');
});

afterEach(async () => {
  vi.restoreAllMocks();
  await client.close();
  await server.close();
});

/** Resolves once the client received `count` body chunks of the pending response. */
async function chunksReceived(count: number): Promise<void> {
  const spy = vi.mocked(BufferedResponseHandler.prototype.onResponseData);
  await expect.poll(() => spy.mock.calls.length, { interval: 5 }).toBeGreaterThanOrEqual(count);
}

describe('UpstreamClient.postJson', () => {
  it('POSTs the body and headers as given, and keeps the raw JSON text byte for byte', async () => {
    const text = JSON.stringify(openAICompletion('Hi there'), null, 1);
    server.enqueue({ headers: { 'content-type': 'application/json' }, body: text });
    const value = await client.postJson(path, requestBody, { requestId: 'req_42' });
    expect(value).toEqual(openAICompletion('Hi there'));
    expect(rawJson(value as object)).toBe(text);
    const call = server.calls[0];
    expect(call).toMatchObject({ method: 'POST', url: '/v1/chat/completions?api-version=1', body: requestBody });
    expect(call?.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/json',
      'x-request-id': 'req_42',
    });
  });

  it('joins a body that arrives in many chunks, a multi-byte character cut between two of them', async () => {
    const text = JSON.stringify(openAICompletion('Grüße, 你好 🌍!'));
    const bytes = Buffer.from(text);
    const globe = bytes.indexOf(Buffer.from('🌍'));
    const cuts = [globe + 2];
    for (let cut = 64; cut < bytes.length; cut += 64) cuts.push(cut);
    cuts.sort((left, right) => left - right).push(bytes.length);
    const chunks: ScriptedChunk[] = [];
    let start = 0;
    for (const cut of cuts) {
      chunks.push(bytes.subarray(start, cut), { delayMs: 1 });
      start = cut;
    }
    server.enqueue({ headers: { 'content-type': 'application/json' }, chunks });
    const spy = vi.spyOn(BufferedResponseHandler.prototype, 'onResponseData');
    const value = await client.postJson(path, requestBody, undefined);
    expect(spy.mock.calls.length).toBeGreaterThan(2);
    expect(rawJson(value as object)).toBe(text);
  });

  it('reads a large body', async () => {
    const completion = openAICompletion('é'.repeat(2 * 1024 * 1024));
    server.enqueue({ body: completion });
    expect(await client.postJson(path, requestBody, undefined)).toEqual(completion);
  });

  it('turns a 500 with an HTML body into an http error with a short message', async () => {
    const page = `<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body>${'<p>trace</p>'.repeat(1000)}</body></html>`;
    server.enqueue({ status: 500, headers: { 'content-type': 'text/html', 'retry-after': '2' }, body: page });
    const error = await failureOf(client.postJson(path, requestBody, undefined));
    expect(error).toMatchObject({ kind: 'http', status: 500, retryAfterMs: 2000, isRetryable: true });
    expect(error.message).toBe('primary: upstream answered 500: 500 Internal Server Error');
  });

  it('reads an error body only up to its limit and does not wait for the rest', async () => {
    const message = `Incorrect API key provided: ${API_KEY}.`;
    const head = JSON.stringify({ error: { message, type: 'invalid_request_error', code: 'invalid_api_key' } }).slice(
      0,
      -1,
    );
    server.enqueue({
      status: 401,
      headers: { 'content-type': 'application/json' },
      chunks: [head, ' '.repeat(70 * 1024)],
      hangAfterChunks: true,
    });
    const error = await failureOf(client.postJson(path, requestBody, { timeoutMs: 5000 }));
    expect(error).toMatchObject({ kind: 'http', status: 401 });
    expect(error.message).not.toContain(API_KEY);
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('refuses a 2xx body over maxResponseBytes while reading it: protocol error, socket closed, nothing kept', async () => {
    const small = new UpstreamClient({
      provider: 'primary',
      baseURL: server.origin,
      headers: {},
      maxResponseBytes: 4096,
    });
    try {
      // No content-length: the limit is found while reading, after a few chunks.
      const piece = ' '.repeat(1024);
      server.enqueue({ chunks: ['{"a":', piece, piece, piece, piece, piece, piece], hangAfterChunks: true });
      const error = await failureOf(small.postJson('/v1/chat/completions', requestBody, { timeoutMs: 5000 }));
      expect(error).toMatchObject({ kind: 'protocol', isRetryable: true });
      expect(error.message).toBe('primary: the upstream response is larger than 4096 bytes');
      await server.calls[0]?.closed;
      expect(server.calls[0]?.abortedByClient).toBe(true);
      // A declared content-length over the limit is refused at the headers.
      server.enqueue({ body: JSON.stringify({ padding: 'x'.repeat(8192) }) });
      expect((await failureOf(small.postJson('/v1/chat/completions', requestBody, undefined))).kind).toBe('protocol');
      // A body at the limit is read.
      const exact = JSON.stringify({ padding: 'x'.repeat(4096 - 14) });
      expect(exact.length).toBe(4096);
      server.enqueue({ body: exact });
      expect(await small.postJson('/v1/chat/completions', requestBody, undefined)).toEqual(JSON.parse(exact));
    } finally {
      await small.close();
    }
  });

  it('reports a 2xx body that is not JSON as a protocol error', async () => {
    server.enqueue({ body: '<html>maintenance</html>' });
    expect(await failureOf(client.postJson(path, requestBody, undefined))).toMatchObject({
      kind: 'protocol',
      status: 200,
    });
  });

  it('a connection reset mid-body is kind connection, and the next call still works', async () => {
    server.enqueue({
      headers: { 'content-type': 'application/json' },
      chunks: ['{"id":"chatcmpl-'],
      destroyAfterChunks: true,
    });
    const error = await failureOf(client.postJson(path, requestBody, undefined));
    expect(error).toMatchObject({ kind: 'connection', isRetryable: true });
    server.enqueue({ body: openAICompletion('again') });
    expect(await client.postJson(path, requestBody, undefined)).toEqual(openAICompletion('again'));
  });

  it("the caller's abort mid-body is kind aborted, and the upstream sees its socket close", async () => {
    vi.spyOn(BufferedResponseHandler.prototype, 'onResponseData');
    server.enqueue({
      headers: { 'content-type': 'application/json' },
      chunks: ['{"id":"chatcmpl-'],
      hangAfterChunks: true,
    });
    const controller = new AbortController();
    const pending = failureOf(client.postJson(path, requestBody, { signal: controller.signal }));
    await chunksReceived(1);
    controller.abort();
    expect(await pending).toMatchObject({ kind: 'aborted', isRetryable: false });
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('times out before the headers: kind timeout, and the upstream sees its socket close', async () => {
    server.enqueue({ hang: true });
    const error = await failureOf(client.postJson(path, requestBody, { timeoutMs: 100 }));
    expect(error).toMatchObject({ kind: 'timeout', isRetryable: true });
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('times out during the body: the timeout covers the whole response', async () => {
    server.enqueue({
      headers: { 'content-type': 'application/json' },
      chunks: ['{"id":', { delayMs: 40 }, '"chatcmpl-'],
      hangAfterChunks: true,
    });
    const error = await failureOf(client.postJson(path, requestBody, { timeoutMs: 100 }));
    expect(error.kind).toBe('timeout');
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('times out a call still waiting for a free connection, without waiting for one', async () => {
    const single = new UpstreamClient({ provider: 'single', baseURL: server.origin, headers: {}, connections: 1 });
    try {
      server.enqueue({ hang: true });
      const controller = new AbortController();
      const first = failureOf(single.postJson('/first', requestBody, { signal: controller.signal }));
      const started = performance.now();
      const error = await failureOf(single.postJson('/second', requestBody, { timeoutMs: 100 }));
      expect(error.kind).toBe('timeout');
      expect(performance.now() - started).toBeLessThan(2000);
      controller.abort();
      expect((await first).kind).toBe('aborted');
    } finally {
      await single.close();
    }
  });
});

describe('UpstreamClient.postForStream', () => {
  it('resolves at the headers with the body held for a stream, and POSTs as postJson does', async () => {
    server.enqueue({ headers: { 'x-request-id': 'up_1' }, chunks: [sseData({ choices: [] }, '[DONE]')] });
    const response = await client.postForStream(path, requestBody, { requestId: 'req_7' });
    expect(response.headers['x-request-id']).toBe('up_1');
    const stream = new SseChunkStream(response.call, response.body, new OpenAIChunkTranslator('primary'));
    expect(await stream.next()).toEqual({ value: { choices: [] }, done: false });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    const call = server.calls[0];
    expect(call).toMatchObject({ method: 'POST', url: '/v1/chat/completions?api-version=1', body: requestBody });
    expect(call?.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/json',
      'x-request-id': 'req_7',
    });
  });

  it('rejects a non-2xx answer with its http error, cool-down from the headers, secrets scrubbed', async () => {
    const body = {
      error: { message: `Rate limited for key ${API_KEY}`, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
    };
    server.enqueue({ status: 429, headers: { 'retry-after': '3' }, body });
    const error = await failureOf(client.postForStream(path, requestBody, undefined));
    expect(error).toMatchObject({ kind: 'http', status: 429, retryAfterMs: 3000, code: 'rate_limit_exceeded' });
    expect(error.message).toBe('primary: upstream answered 429: Rate limited for key ***');
  });

  it('reads a non-2xx body only up to its limit, then releases the socket', async () => {
    const head = JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }).slice(0, -1);
    server.enqueue({
      status: 503,
      headers: { 'content-type': 'application/json' },
      chunks: [head, ' '.repeat(70 * 1024)],
      hangAfterChunks: true,
    });
    const error = await failureOf(client.postForStream(path, requestBody, { timeoutMs: 5000 }));
    expect(error).toMatchObject({ kind: 'http', status: 503 });
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('times out before the headers: kind timeout, and the upstream sees its socket close', async () => {
    server.enqueue({ hang: true });
    const error = await failureOf(client.postForStream(path, requestBody, { timeoutMs: 100 }));
    expect(error).toMatchObject({ kind: 'timeout', isRetryable: true });
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it("the caller's abort before the headers is kind aborted, and the upstream sees its socket close", async () => {
    server.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = failureOf(client.postForStream(path, requestBody, { signal: controller.signal }));
    await expect.poll(() => server.calls.length, { interval: 5 }).toBe(1);
    controller.abort();
    expect(await pending).toMatchObject({ kind: 'aborted', isRetryable: false });
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('a reset before the headers is kind connection', async () => {
    server.enqueue({ reset: true });
    expect(await failureOf(client.postForStream(path, requestBody, undefined))).toMatchObject({
      kind: 'connection',
      isRetryable: true,
    });
  });
});
