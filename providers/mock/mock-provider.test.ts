import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../../src/contract/chat-types.ts';
import type { ChatStream } from '../../src/contract/provider-adapter.ts';
import { createMockProvider, mockReply } from './mock-provider.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';
import { collect, failureOf } from '../test-support/outcomes.ts';

const request: ChatCompletionRequest = {
  model: 'demo',
  messages: [
    { role: 'system', content: 'Be nice.' },
    { role: 'user', content: 'Hello there world' },
  ],
};

describe('createMockProvider: replies', () => {
  it('echoes the last user message, with usage', async () => {
    const mock = createMockProvider({ name: 'demo' });
    const completion = await mock.chat(request);
    expect(mockReply(request)).toBe('Echo: Hello there world');
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'demo',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Echo: Hello there world' }, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
    });
    expect(mock.models).toEqual(['*']);
    expect(mock.type).toBe('mock');
  });

  it('honours a fixed reply, a computed reply and a word count', async () => {
    expect(
      (await createMockProvider({ name: 'a', reply: 'fixed text' }).chat(request)).choices[0]?.message.content,
    ).toBe('fixed text');
    expect(
      (await createMockProvider({ name: 'b', reply: (body) => body.model.toUpperCase() }).chat(request)).choices[0]
        ?.message.content,
    ).toBe('DEMO');
    expect(
      (await createMockProvider({ name: 'c', reply: 'one two', words: 5 }).chat(request)).choices[0]?.message.content,
    ).toBe('one two one two one');
  });

  it('streams the reply word by word, then the finish chunk, then usage when asked', async () => {
    const mock = createMockProvider({ name: 'demo' });
    const chunks = await collect(await mock.stream({ ...request, stream_options: { include_usage: true } }));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content)).toEqual([
      'Echo:',
      ' Hello',
      ' there',
      ' world',
      undefined,
      undefined,
    ]);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks[4]?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks[5]?.usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });
});

describe('createMockProvider: determinism and failures', () => {
  it('fails by the seeded random: same seed, same outcomes', async () => {
    async function outcomes(seed: number): Promise<string> {
      const mock = createMockProvider({ name: 'flaky', failureRate: 0.5, seed });
      let result = '';
      for (let index = 0; index < 40; index++)
        result += await mock.chat(request).then(
          () => 'ok,',
          () => 'fail,',
        );
      return result;
    }
    const first = await outcomes(7);
    expect(await outcomes(7)).toBe(first);
    expect(await outcomes(8)).not.toBe(first);
    const failures = first.split(',').filter((outcome) => outcome === 'fail').length;
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(35);
  });

  it('fails with a retryable 503 ProviderError by default, or the given status and retryAfterMs', async () => {
    const error = await failureOf(createMockProvider({ name: 'down', failureRate: 1 }).chat(request));
    expect(error).toMatchObject({
      kind: 'http',
      status: 503,
      provider: 'down',
      isRetryable: true,
      isProviderFault: true,
    });
    const limited = await failureOf(
      createMockProvider({ name: 'limited', failureRate: 1, failWith: 429, retryAfterMs: 2000 }).stream(request),
    );
    expect(limited).toMatchObject({ status: 429, retryAfterMs: 2000, isRetryable: true, isProviderFault: false });
    const invalid = await failureOf(
      createMockProvider({ name: 'strict', failureRate: 1, failWith: 400 }).chat(request),
    );
    expect(invalid.isRetryable).toBe(false);
  });

  it('uses an injected random', async () => {
    const mock = createMockProvider({
      name: 'scripted',
      failureRate: 0.5,
      random: vi.fn().mockReturnValueOnce(0.9).mockReturnValueOnce(0.1),
    });
    await expect(mock.chat(request)).resolves.toBeDefined();
    await expect(mock.chat(request)).rejects.toBeInstanceOf(ProviderError);
  });

  it('resets a stream mid-way with failAfterChunks', async () => {
    const stream = await createMockProvider({ name: 'reset', failAfterChunks: 2 }).stream(request);
    const received: ChatCompletionChunk[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of stream) received.push(chunk);
      })(),
    );
    expect(received).toHaveLength(2);
    expect(error.kind).toBe('connection');
  });

  it('answers healthCheck as configured', async () => {
    expect(await createMockProvider({ name: 'up' }).healthCheck?.(new AbortController().signal)).toBe(true);
    expect(await createMockProvider({ name: 'sick', healthy: false }).healthCheck?.(new AbortController().signal)).toBe(
      false,
    );
  });
});

describe('createMockProvider: time (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('really waits latencyMs before answering', async () => {
    const mock = createMockProvider({ name: 'slow', latencyMs: 100 });
    let settled = false;
    const pending = mock.chat(request).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBe(true);
    await pending;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('delays the first chunk and every following chunk', async () => {
    const mock = createMockProvider({ name: 'slow', firstChunkDelayMs: 50, chunkDelayMs: 10 });
    let stream: ChatStream | undefined;
    void mock.stream(request).then((started) => (stream = started));
    await vi.advanceTimersByTimeAsync(49);
    expect(stream).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(stream).toBeDefined();
    const iterator = (stream as ChatStream)[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0]?.delta.content).toBe('Echo:');
    let second: ChatCompletionChunk | undefined;
    void iterator.next().then((result) => (second = result.value));
    await vi.advanceTimersByTimeAsync(9);
    expect(second).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(second?.choices[0]?.delta.content).toBe(' Hello');
    await iterator.return?.();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts via the signal: kind aborted, timer cleared', async () => {
    const mock = createMockProvider({ name: 'slow', latencyMs: 1000 });
    const controller = new AbortController();
    const pending = failureOf(mock.chat(request, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    const error = await pending;
    expect(error.kind).toBe('aborted');
    expect(error.isRetryable).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts a stream between chunks', async () => {
    const mock = createMockProvider({ name: 'slow', chunkDelayMs: 100 });
    const controller = new AbortController();
    const iterator = (await mock.stream(request, { signal: controller.signal }))[Symbol.asyncIterator]();
    await iterator.next();
    const pending = failureOf(iterator.next());
    controller.abort();
    expect((await pending).kind).toBe('aborted');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('times out when the latency exceeds timeoutMs, after timeoutMs', async () => {
    const mock = createMockProvider({ name: 'slow', latencyMs: 500, chunkDelayMs: 300 });
    const pending = failureOf(mock.chat(request, { timeoutMs: 200 }));
    await vi.advanceTimersByTimeAsync(200);
    expect((await pending).kind).toBe('timeout');

    const streaming = failureOf(mock.stream(request, { timeoutMs: 200 }));
    await vi.advanceTimersByTimeAsync(200);
    expect((await streaming).kind).toBe('timeout');

    const gap = createMockProvider({ name: 'gappy', chunkDelayMs: 300 });
    const iterator = (await gap.stream(request, { timeoutMs: 200 }))[Symbol.asyncIterator]();
    await iterator.next();
    const gapFailure = failureOf(iterator.next());
    await vi.advanceTimersByTimeAsync(200);
    expect((await gapFailure).kind).toBe('timeout');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('bounds a stream by firstTokenTimeoutMs before its first chunk and by streamIdleTimeoutMs between chunks', async () => {
    const slowStart = createMockProvider({ name: 'slow-start', firstChunkDelayMs: 500 });
    const first = failureOf(slowStart.stream(request, { timeoutMs: 10_000, firstTokenTimeoutMs: 150 }));
    await vi.advanceTimersByTimeAsync(150);
    expect((await first).kind).toBe('timeout');

    const gappy = createMockProvider({ name: 'gappy', chunkDelayMs: 300 });
    const iterator = (await gappy.stream(request, { timeoutMs: 10_000, streamIdleTimeoutMs: 100 }))[
      Symbol.asyncIterator
    ]();
    await iterator.next();
    const idle = failureOf(iterator.next());
    await vi.advanceTimersByTimeAsync(100);
    expect((await idle).kind).toBe('timeout');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('createMockProvider: assistant prefill', () => {
  const partial: ChatCompletionRequest = {
    model: 'demo',
    messages: [
      { role: 'user', content: 'Hello there world' },
      { role: 'assistant', content: 'Echo: Hello th' },
    ],
  };

  it('with supportsPrefill, continues a trailing assistant message with the rest of the reply', async () => {
    const mock = createMockProvider({ name: 'prefill', supportsPrefill: true });
    expect(mock.supportsPrefill).toBe(true);
    expect((await mock.chat(partial)).choices[0]?.message.content).toBe('ere world');
    const chunks = await collect(await mock.stream(partial));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('ere world');
  });

  it('without it (the default), answers afresh, as an OpenAI upstream does', async () => {
    const mock = createMockProvider({ name: 'plain' });
    expect(mock.supportsPrefill).toBe(false);
    expect((await mock.chat(partial)).choices[0]?.message.content).toBe('Echo: Hello there world');
  });
});
