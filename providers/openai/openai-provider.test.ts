import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../../src/contract/chat-types.ts';
import { chunkTextOf, type MalformedStreamEvent, type ProviderAdapter } from '../../src/contract/provider-adapter.ts';
import { createOpenAIProvider } from './openai-provider.ts';
import { openAIChunk, openAICompletion } from '../test-support/openai-fixtures.ts';
import { sseData, startTestServer, type TestServer } from '../../test/support/scripted-server.ts';
import { collect, failureOf } from '../test-support/outcomes.ts';

const API_KEY = 'sk-test-secret-key-1234567890';
const request: ChatCompletionRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] };

let server: TestServer;
let provider: ProviderAdapter;

beforeEach(async () => {
  server = await startTestServer();
  provider = createOpenAIProvider({
    name: 'primary',
    baseURL: `${server.origin}/v1`,
    apiKey: API_KEY,
    models: ['gpt-4o-mini'],
  });
});

afterEach(async () => {
  await provider.close?.();
  await server.close();
});

function contentOf(chunks: ChatCompletionChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
}

describe('createOpenAIProvider: chat', () => {
  it('forwards the body as is (unknown fields, temperature 0), drops stream, and parses the completion', async () => {
    server.enqueue({ body: openAICompletion('Hi there') });
    const body: ChatCompletionRequest = {
      ...request,
      stream: true,
      temperature: 0,
      seed: 7,
      logprobs: true,
      response_format: { type: 'json_object' },
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
      future_field: { nested: [1, 2] },
    };
    const completion = await provider.chat(body, { requestId: 'request-1' });
    expect(completion.choices[0]?.message.content).toBe('Hi there');
    expect(completion.system_fingerprint).toBe('fp_test');
    const call = server.calls[0];
    expect(call?.method).toBe('POST');
    expect(call?.url).toBe('/v1/chat/completions');
    expect(call?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(call?.headers['content-type']).toBe('application/json');
    expect(call?.headers['x-request-id']).toBe('request-1');
    const { stream, ...expected } = body;
    expect(stream).toBe(true);
    expect(call?.json).toEqual(expected);
    expect(call?.json.temperature).toBe(0);
  });

  it('reuses one keep-alive connection across calls', async () => {
    server.fallback = { body: openAICompletion('again') };
    for (let index = 0; index < 10; index++) await provider.chat(request);
    expect(server.calls).toHaveLength(10);
    // undici may open a second socket when a call starts in the same tick the previous one ended.
    expect(new Set(server.calls.map((call) => call.remotePort)).size).toBeLessThanOrEqual(2);
  });

  it('keeps the base URL query string (Azure api-version)', async () => {
    const azure = createOpenAIProvider({
      name: 'azure',
      baseURL: `${server.origin}/openai/deployments/d1?api-version=2024-10-21`,
      models: ['*'],
      headers: { 'api-key': 'azure-key' },
    });
    try {
      server.enqueue({ body: openAICompletion('ok') });
      await azure.chat(request);
      expect(server.calls[0]?.url).toBe('/openai/deployments/d1/chat/completions?api-version=2024-10-21');
      expect(server.calls[0]?.headers['api-key']).toBe('azure-key');
      expect(server.calls[0]?.headers.authorization).toBeUndefined();
    } finally {
      await azure.close?.();
    }
  });

  it('reports a 2xx body that is not JSON as a protocol error', async () => {
    server.enqueue({ body: 'not json', headers: { 'content-type': 'text/plain' } });
    const error = await failureOf(provider.chat(request));
    expect(error.kind).toBe('protocol');
    expect(error.isRetryable).toBe(true);
  });
});

describe('createOpenAIProvider: stream', () => {
  it('sends stream: true and yields the parsed chunks until [DONE]', async () => {
    server.enqueue({
      chunks: [
        sseData(openAIChunk('Hel')),
        { delayMs: 5 },
        sseData(openAIChunk('lo')),
        sseData(openAIChunk(null, 'stop'), '[DONE]'),
      ],
    });
    const stream = await provider.stream({ ...request, stream_options: { include_usage: true } });
    const chunks = await collect(stream);
    expect(contentOf(chunks)).toBe('Hello');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(server.calls[0]?.json.stream).toBe(true);
    expect(server.calls[0]?.json.stream_options).toEqual({ include_usage: true });
  });

  it("keeps each chunk's upstream JSON text for the chunk handed out last, for forwarding byte for byte", async () => {
    const first =
      '{ "id":"a", "object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}],"extra":  true }';
    const second = JSON.stringify(openAIChunk('y'));
    server.enqueue({ chunks: [sseData(first, second, '[DONE]')] });
    const iterator = (await provider.stream(request))[Symbol.asyncIterator]();
    const one = await iterator.next();
    expect(one.done).toBe(false);
    if (one.done === true) return;
    expect(chunkTextOf(iterator, one.value)).toBe(first);
    const two = await iterator.next();
    if (two.done === true) throw new Error('the second chunk is missing');
    expect(chunkTextOf(iterator, two.value)).toBe(second);
    // Only the chunk handed out last has its text: an earlier one (or a copy) is serialised afresh.
    expect(chunkTextOf(iterator, one.value)).toBeUndefined();
    expect(chunkTextOf(iterator, { ...two.value })).toBeUndefined();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('parses CRLF line endings, comments, multi-line data and events split at every byte', async () => {
    const text = `: keep-alive comment\r\ndata: {"id":"a","object":"chat.completion.chunk","created":1,"model":"m",\r\ndata: "choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}\r\n\r\ndata: [DONE]\r\n\r\n`;
    server.enqueue({ chunks: [...text].map((character) => character) });
    const chunks = await collect(await provider.stream(request));
    expect(contentOf(chunks)).toBe('x');
  });

  it('decodes emoji and CJK characters split across TCP chunks', async () => {
    const bytes = Buffer.from(sseData(openAIChunk('héllo 😀 世界'), '[DONE]'));
    const emojiAt = bytes.indexOf(Buffer.from('😀'));
    const cjkAt = bytes.indexOf(Buffer.from('世'));
    server.enqueue({
      chunks: [
        bytes.subarray(0, emojiAt + 2),
        { delayMs: 10 },
        bytes.subarray(emojiAt + 2, cjkAt + 1),
        { delayMs: 10 },
        bytes.subarray(cjkAt + 1),
      ],
    });
    const chunks = await collect(await provider.stream(request));
    expect(contentOf(chunks)).toBe('héllo 😀 世界');
  });

  it('throws a connection error from the iterator when the socket is destroyed mid-stream', async () => {
    server.enqueue({ chunks: [sseData(openAIChunk('partial'))], destroyAfterChunks: true });
    const stream = await provider.stream(request);
    const received: ChatCompletionChunk[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of stream) received.push(chunk);
      })(),
    );
    expect(contentOf(received)).toBe('partial');
    expect(error.kind).toBe('connection');
    expect(error.isRetryable).toBe(true);
  });

  it('throws a protocol error when the stream ends without [DONE]', async () => {
    server.enqueue({ chunks: [sseData(openAIChunk('a'))] });
    const error = await failureOf(collect(await provider.stream(request)));
    expect(error.kind).toBe('protocol');
    expect(error.message).toContain('ended before');
  });

  it('skips a malformed event, tells onMalformedEvent, and forwards the rest of a healthy stream', async () => {
    server.enqueue({
      chunks: [
        sseData(openAIChunk('a')),
        'data: {"id": oops\n\n',
        sseData(openAIChunk('b'), openAIChunk(null, 'stop'), '[DONE]'),
      ],
    });
    const reported: MalformedStreamEvent[] = [];
    const chunks = await collect(await provider.stream(request, { onMalformedEvent: (event) => reported.push(event) }));
    expect(contentOf(chunks)).toBe('ab');
    expect(chunks).toHaveLength(3);
    expect(reported).toHaveLength(1);
    expect(reported[0]?.provider).toBe('primary');
    expect(reported[0]?.reason).toMatch(/JSON/);
  });

  it('scrubs the API key from what it reports of a malformed event, and from the failure after too many', async () => {
    const quoting = `data: ["${API_KEY}"]\n\n`;
    server.enqueue({ chunks: [sseData(openAIChunk('a')), quoting, quoting, quoting, quoting], hangAfterChunks: true });
    const reasons: string[] = [];
    const error = await failureOf(
      collect(await provider.stream(request, { onMalformedEvent: (event) => reasons.push(event.reason) })),
    );
    expect(reasons).toHaveLength(4);
    expect(reasons.join(' ')).not.toContain(API_KEY);
    expect(reasons[0]).toContain('***');
    expect(error.message).not.toContain(API_KEY);
  });

  it('fails with a protocol error once more than 3 events of one stream are malformed', async () => {
    server.enqueue({
      chunks: [sseData(openAIChunk('a'), '[1,2]', 'null', '"text"'), 'data: {oops\n\n', sseData(openAIChunk('b'))],
      hangAfterChunks: true,
    });
    const received: ChatCompletionChunk[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of await provider.stream(request)) received.push(chunk);
      })(),
    );
    expect(contentOf(received)).toBe('a');
    expect(error).toMatchObject({ kind: 'protocol', isRetryable: true });
    expect(error.message).toContain('malformed');
  });

  it('a stream that ends cleanly after its finish_reason is complete without [DONE], usage included', async () => {
    const usage = {
      ...openAIChunk(null),
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    };
    server.enqueue({ chunks: [sseData(openAIChunk('Hel'), openAIChunk('lo'), openAIChunk(null, 'stop'), usage)] });
    const chunks = await collect(await provider.stream(request));
    expect(contentOf(chunks)).toBe('Hello');
    expect(chunks.at(-1)?.usage).toEqual(usage.usage);
  });

  it('a stream that ends before its finish_reason without [DONE] is a truncation: protocol error', async () => {
    server.enqueue({ chunks: [sseData(openAIChunk('Hel'), openAIChunk('lo'))] });
    const error = await failureOf(collect(await provider.stream(request)));
    expect(error).toMatchObject({ kind: 'protocol', isRetryable: true });
    expect(error.message).toContain('ended before its end event');
  });

  it('with several choices, a clean end without [DONE] is complete only once every choice finished', async () => {
    const choice = (index: number, content: string | null, finish: 'stop' | null) => ({
      ...openAIChunk(content, finish),
      choices: [{ index, delta: content === null ? {} : { content }, finish_reason: finish }],
    });
    server.enqueue(
      { chunks: [sseData(choice(0, 'a', null), choice(1, 'b', null), choice(0, null, 'stop'))] },
      {
        chunks: [sseData(choice(0, 'a', null), choice(1, 'b', null), choice(0, null, 'stop'), choice(1, null, 'stop'))],
      },
    );
    expect((await failureOf(collect(await provider.stream(request)))).kind).toBe('protocol');
    expect(await collect(await provider.stream(request))).toHaveLength(4);
  });

  it('a stream with no content at all (a role chunk and [DONE]) is a retryable failure', async () => {
    const roleOnly = {
      ...openAIChunk(null),
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    };
    server.enqueue({ chunks: [sseData(roleOnly, '[DONE]')] });
    const error = await failureOf(collect(await provider.stream(request)));
    expect(error).toMatchObject({ kind: 'protocol', isRetryable: true });
    expect(error.message).toContain('without any content');
  });

  it('honours firstTokenTimeoutMs and streamIdleTimeoutMs from the call options', async () => {
    const roleOnly = {
      ...openAIChunk(null),
      choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }],
    };
    server.enqueue(
      { chunks: [sseData(roleOnly)], hangAfterChunks: true },
      { chunks: [sseData(openAIChunk('a')), ': ping\n\n', { delayMs: 50 }, ': ping\n\n'], hangAfterChunks: true },
    );
    const windows = { timeoutMs: 10_000, firstTokenTimeoutMs: 150, streamIdleTimeoutMs: 150 };
    const first = await failureOf(collect(await provider.stream(request, windows)));
    expect(first.message).toBe('primary: upstream sent no content within 150 ms');
    const idle = await failureOf(collect(await provider.stream(request, windows)));
    expect(idle.message).toBe('primary: upstream stream was silent for 150 ms');
  });

  it('declares no assistant prefill', () => {
    expect(provider.supportsPrefill).toBe(false);
  });

  it('turns an in-stream error object into a ProviderError', async () => {
    server.enqueue({ chunks: [sseData({ error: { message: 'upstream overloaded', type: 'server_error' } })] });
    const error = await failureOf(collect(await provider.stream(request)));
    expect(error.message).toContain('upstream overloaded');
    expect(error.isRetryable).toBe(true);
  });

  it('rejects the stream promise on a non-2xx answer (fallback is still possible)', async () => {
    server.enqueue({ status: 503, body: { error: { message: 'try later', type: 'server_error' } } });
    const error = await failureOf(provider.stream(request));
    expect(error.kind).toBe('http');
    expect(error.status).toBe(503);
    expect(error.isRetryable).toBe(true);
    expect(error.isProviderFault).toBe(true);
  });

  it('serves concurrent next() calls in order', async () => {
    server.enqueue({
      chunks: [{ delayMs: 20 }, sseData(openAIChunk('a')), { delayMs: 10 }, sseData(openAIChunk('b'), '[DONE]')],
    });
    const iterator = (await provider.stream(request))[Symbol.asyncIterator]();
    const results = await Promise.all([iterator.next(), iterator.next(), iterator.next()]);
    expect(results.map((result) => (result.done === true ? 'done' : result.value.choices[0]?.delta.content))).toEqual([
      'a',
      'b',
      'done',
    ]);
  });

  it('releases the upstream request when the consumer breaks out early', async () => {
    server.enqueue({
      chunks: [sseData(openAIChunk('first')), { delayMs: 10 }, sseData(openAIChunk('second'))],
      hangAfterChunks: true,
    });
    const stream = await provider.stream(request);
    for await (const chunk of stream) {
      expect(chunk.choices[0]?.delta.content).toBe('first');
      break;
    }
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });
});

describe('createOpenAIProvider: timeouts', () => {
  it('times out a chat whose upstream never answers', async () => {
    server.enqueue({ hang: true });
    const started = performance.now();
    const error = await failureOf(provider.chat(request, { timeoutMs: 100 }));
    expect(error.kind).toBe('timeout');
    expect(error.isRetryable).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('times out a stream whose headers never come', async () => {
    server.enqueue({ hang: true });
    const error = await failureOf(provider.stream(request, { timeoutMs: 100 }));
    expect(error.kind).toBe('timeout');
    await server.calls[0]?.closed;
  });

  it('times out a silent gap between chunks, from the iterator', async () => {
    server.enqueue({ chunks: [sseData(openAIChunk('a'))], hangAfterChunks: true });
    const stream = await provider.stream(request, { timeoutMs: 150 });
    const received: ChatCompletionChunk[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of stream) received.push(chunk);
      })(),
    );
    expect(contentOf(received)).toBe('a');
    expect(error.kind).toBe('timeout');
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('does not count a slow consumer against the upstream (back-pressure pauses the gap timer)', async () => {
    const burst = Array.from({ length: 100 }, (_, index) => sseData(openAIChunk(`${index} `))).join('');
    server.enqueue({ chunks: [burst, { delayMs: 20 }, sseData('[DONE]')] });
    const stream = await provider.stream(request, { timeoutMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const chunks = await collect(stream);
    expect(chunks).toHaveLength(100);
    expect(server.calls[0]?.abortedByClient).toBe(false);
  });

  it('re-arms the gap timer on every chunk: a slow but steady stream completes', async () => {
    const chunks = [];
    for (let index = 0; index < 5; index++) chunks.push({ delayMs: 50 }, sseData(openAIChunk(String(index))));
    server.enqueue({ chunks: [...chunks, sseData('[DONE]')] });
    const stream = await provider.stream(request, { timeoutMs: 200 });
    expect(contentOf(await collect(stream))).toBe('01234');
  });
});

describe('createOpenAIProvider: aborts', () => {
  it('aborts a pending chat: kind aborted, and the upstream sees its socket close', async () => {
    server.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = provider.chat(request, { signal: controller.signal });
    while (server.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = await failureOf(pending);
    expect(error.kind).toBe('aborted');
    expect(error.isRetryable).toBe(false);
    expect(error.isProviderFault).toBe(false);
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('aborts mid-stream: the iterator throws aborted and the upstream sees its socket close', async () => {
    server.enqueue({ chunks: [sseData(openAIChunk('a'))], hangAfterChunks: true });
    const controller = new AbortController();
    const stream = await provider.stream(request, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0]?.delta.content).toBe('a');
    const next = iterator.next();
    controller.abort();
    const error = await failureOf(next);
    expect(error.kind).toBe('aborted');
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });

  it('rejects at once when the signal has already fired, without calling upstream', async () => {
    const error = await failureOf(provider.chat(request, { signal: AbortSignal.abort() }));
    expect(error.kind).toBe('aborted');
    expect(server.calls).toHaveLength(0);
  });
});

describe('createOpenAIProvider: upstream errors', () => {
  it('429 with retry-after seconds: retryable, not a provider fault, retryAfterMs', async () => {
    server.enqueue({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
    });
    const error = await failureOf(provider.chat(request));
    expect(error).toMatchObject({
      kind: 'http',
      status: 429,
      code: 'rate_limit_exceeded',
      retryAfterMs: 7000,
      isRetryable: true,
      isProviderFault: false,
    });
    expect(error.message).toContain('Rate limit reached');
  });

  it('429 with retry-after as an HTTP date', async () => {
    const date = new Date(Date.now() + 30_000).toUTCString();
    server.enqueue({ status: 429, headers: { 'retry-after': date }, body: { error: { message: 'slow down' } } });
    const error = await failureOf(provider.chat(request));
    expect(error.retryAfterMs).toBeGreaterThan(25_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('429 with only x-ratelimit-reset-* headers uses the exhausted limit', async () => {
    server.enqueue({
      status: 429,
      headers: {
        'x-ratelimit-reset-requests': '6m0s',
        'x-ratelimit-remaining-requests': '10',
        'x-ratelimit-reset-tokens': '1.5s',
        'x-ratelimit-remaining-tokens': '0',
      },
      body: { error: { message: 'tokens' } },
    });
    const error = await failureOf(provider.chat(request));
    expect(error.retryAfterMs).toBe(1500);
  });

  it('500 with an HTML page gives a short clean message', async () => {
    const page = `<!DOCTYPE html><html><head><title>500 Internal Server Error</title><style>body{}</style></head><body>${'<p>trace</p>'.repeat(5000)}</body></html>`;
    server.enqueue({ status: 500, headers: { 'content-type': 'text/html' }, body: page });
    const error = await failureOf(provider.chat(request));
    expect(error).toMatchObject({ kind: 'http', status: 500, isRetryable: true, isProviderFault: true });
    expect(error.message).toBe('primary: upstream answered 500: 500 Internal Server Error');
    expect(JSON.stringify(error.body).length).toBeLessThan(1000);
  });

  it('400 is not retryable, not a provider fault, and its body passes through', async () => {
    const body = {
      error: {
        message: "Invalid value for 'temperature'",
        type: 'invalid_request_error',
        param: 'temperature',
        code: 'invalid_value',
      },
    };
    server.enqueue({ status: 400, body });
    const error = await failureOf(provider.chat(request));
    expect(error).toMatchObject({
      kind: 'http',
      status: 400,
      isRetryable: false,
      isProviderFault: false,
      code: 'invalid_value',
    });
    expect(error.body).toEqual(body);
  });

  it('never leaks the API key in messages or bodies', async () => {
    server.enqueue({
      status: 401,
      body: { error: { message: `Incorrect API key provided: ${API_KEY}.`, type: 'invalid_request_error' } },
    });
    const error = await failureOf(provider.chat(request));
    expect(error.status).toBe(401);
    expect(error.message).not.toContain(API_KEY);
    expect(JSON.stringify(error.body)).not.toContain(API_KEY);
  });

  it('a socket reset before the headers is kind connection', async () => {
    server.enqueue({ reset: true }, { reset: true });
    expect((await failureOf(provider.chat(request))).kind).toBe('connection');
    expect((await failureOf(provider.stream(request))).kind).toBe('connection');
  });

  it('close() does not hang on a silent upstream: the pending call fails as a connection error', async () => {
    server.enqueue({ hang: true });
    const pending = failureOf(provider.chat(request));
    while (server.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    await provider.close?.();
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await pending).kind).toBe('connection');
  });

  it('connection refused is kind connection, retryable', async () => {
    const port = await closedPort();
    const unreachable = createOpenAIProvider({ name: 'down', baseURL: `http://127.0.0.1:${port}/v1`, models: ['*'] });
    try {
      const error = await failureOf(unreachable.chat(request));
      expect(error).toMatchObject({ kind: 'connection', isRetryable: true, isProviderFault: true });
      const streamError = await failureOf(unreachable.stream(request));
      expect(streamError.kind).toBe('connection');
    } finally {
      await unreachable.close?.();
    }
  });
});

describe('createOpenAIProvider: healthCheck', () => {
  it('is healthy on a 2xx GET /models, with the auth header', async () => {
    server.enqueue({ body: { object: 'list', data: [] } });
    expect(await provider.healthCheck?.(AbortSignal.timeout(2000))).toBe(true);
    expect(server.calls[0]?.method).toBe('GET');
    expect(server.calls[0]?.url).toBe('/v1/models');
    expect(server.calls[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('is unhealthy on a 5xx', async () => {
    server.enqueue({ status: 503, body: 'down' });
    expect(await provider.healthCheck?.(AbortSignal.timeout(2000))).toBe(false);
  });

  it('honours the signal: an aborted probe is unhealthy and closes the upstream request', async () => {
    server.enqueue({ hang: true });
    const controller = new AbortController();
    const probe = provider.healthCheck?.(controller.signal);
    while (server.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    expect(await probe).toBe(false);
    await server.calls[0]?.closed;
    expect(server.calls[0]?.abortedByClient).toBe(true);
  });
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
