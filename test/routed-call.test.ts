import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../src/contract/chat-types.ts';
import { chunkTextOf } from '../src/contract/provider-adapter.ts';
import { createOpenAIProvider } from '../providers/openai/openai-provider.ts';
import { sseData, startTestServer } from './support/scripted-server.ts';
import { ModelNotFoundError, NoProviderAvailableError, RoutingFailedError } from '../src/router/errors.ts';
import { Router } from '../src/router/router.ts';
import { manualClock, scriptedAdapter } from '../src/router/test-support/scripted-adapter.ts';
import type { AttemptEvent } from '../src/router/types.ts';

const request: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

/**
 * A router whose order is predictable: availability ranks equal providers by registration. No
 * same-provider retries, so a failure moves straight to the next provider.
 */
function routerWith(...names: string[]) {
  const router = new Router({ strategy: 'availability', retry: { sameProvider: 0 } });
  const adapters = names.map((name) => scriptedAdapter(name, ['m']));
  for (const adapter of adapters) router.registerProvider(adapter);
  return { router, adapters };
}

async function collect(
  stream: AsyncIterable<{ choices: Array<{ delta: { content?: string | null } }> }>,
): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

describe('router.chatCompletion', () => {
  it('serves from the selected provider and records its success', async () => {
    const { router } = routerWith('a');
    const result = await router.chatCompletion(request);
    expect(result).toMatchObject({ provider: 'a', attempts: 1 });
    expect(result.completion.choices[0]?.message.content).toBe('from a');
    expect(router.healthStatus().a?.consecutiveSuccesses).toBe(1);
  });

  it('falls back on a retryable failure, records it against the failing provider and says so in an attempt event', async () => {
    const { router, adapters } = routerWith('a', 'b');
    adapters[0]?.script({ status: 503 });
    const attempts: AttemptEvent[] = [];
    router.on('attempt', (event) => attempts.push(event));
    const result = await router.chatCompletion(request);
    expect(result).toMatchObject({ provider: 'b', attempts: 2 });
    expect(router.healthStatus().a?.deployments.m).toMatchObject({ consecutiveFailures: 1, failureRate: 0.1 });
    expect(router.healthStatus().a).toMatchObject({ consecutiveFailures: 0, failureRate: 0 });
    expect(attempts.map((event) => [event.provider, event.kind])).toEqual([
      ['a', 'first'],
      ['b', 'fallback'],
    ]);
    expect(attempts[1]?.previousError).toContain('503');
  });

  it('does not fall back on a client error and does not count it against the provider', async () => {
    const { router, adapters } = routerWith('a', 'b');
    adapters[0]?.script({ status: 400 });
    const error = await router.chatCompletion(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RoutingFailedError);
    expect((error as RoutingFailedError).lastError.status).toBe(400);
    expect((error as RoutingFailedError).attempts).toBe(1);
    expect(adapters[1]?.calls).toHaveLength(0);
    expect(router.healthStatus().a).toMatchObject({ consecutiveFailures: 0, failureRate: 0 });
  });

  it('stops at maxAttempts with the last upstream error', async () => {
    const { router, adapters } = routerWith('a', 'b', 'c');
    for (const adapter of adapters) adapter.script({ status: 502 });
    const error = (await router
      .chatCompletion(request, { maxAttempts: 2 })
      .catch((caught: unknown) => caught)) as RoutingFailedError;
    expect(error).toBeInstanceOf(RoutingFailedError);
    expect(error.attempts).toBe(2);
    expect(adapters[2]?.calls).toHaveLength(0);
  });

  it('ends with the last error when no provider is left to try', async () => {
    const { router, adapters } = routerWith('a');
    adapters[0]?.script({ status: 500 });
    const error = (await router.chatCompletion(request).catch((caught: unknown) => caught)) as RoutingFailedError;
    expect(error).toBeInstanceOf(RoutingFailedError);
    expect(error).toMatchObject({ attempts: 1, model: 'm' });
  });

  it('turns a 429 into a cool-down, not a circuit failure, and the next request is told when to retry', async () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock, retry: { maxRetryAfterMs: 0 } });
    const adapter = scriptedAdapter('a', ['m']);
    router.registerProvider(adapter);
    adapter.script({ status: 429, retryAfterMs: 3_000 }, { reply: 'back' });
    const first = (await router.chatCompletion(request).catch((caught: unknown) => caught)) as RoutingFailedError;
    expect(first.lastError.status).toBe(429);
    expect(router.healthStatus().a?.deployments.m).toMatchObject({ circuitState: 'closed', failureRate: 0 });
    const second = (await router
      .chatCompletion(request)
      .catch((caught: unknown) => caught)) as NoProviderAvailableError;
    expect(second).toBeInstanceOf(NoProviderAvailableError);
    expect(second.retryAfterMs).toBe(3_000);
    advance(3_000);
    expect((await router.chatCompletion(request)).completion.choices[0]?.message.content).toBe('back');
  });

  it('throws ModelNotFoundError for a model nobody serves', async () => {
    const { router } = routerWith('a');
    await expect(router.chatCompletion({ ...request, model: 'nope' })).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('records an abort by the caller as neither success nor failure', async () => {
    const { router } = routerWith('a');
    const controller = new AbortController();
    controller.abort();
    const error = (await router
      .chatCompletion(request, { signal: controller.signal })
      .catch((caught: unknown) => caught)) as RoutingFailedError;
    expect(error.lastError.kind).toBe('aborted');
    expect(router.healthStatus().a).toMatchObject({ consecutiveFailures: 0, consecutiveSuccesses: 0, inFlight: 0 });
  });
});

describe('router.chatCompletionStream', () => {
  it('streams every chunk and records one success when the stream ends', async () => {
    const { router, adapters } = routerWith('a');
    adapters[0]?.script({ chunks: ['Hel', 'lo'] });
    const { stream, provider, attempts } = await router.chatCompletionStream(request);
    expect([provider, attempts]).toEqual(['a', 1]);
    expect(router.healthStatus().a?.consecutiveSuccesses).toBe(0);
    expect(await collect(stream)).toBe('Hello');
    expect(router.healthStatus().a).toMatchObject({ consecutiveSuccesses: 1, inFlight: 0 });
  });

  it("hands on each chunk's upstream JSON text from an OpenAI-compatible provider, the replayed first chunk included", async () => {
    const upstream = await startTestServer();
    const adapter = createOpenAIProvider({ name: 'a', baseURL: `${upstream.origin}/v1`, apiKey: 'k', models: ['m'] });
    try {
      const texts = [
        '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m", "choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}',
        '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}] }',
      ];
      upstream.enqueue({ chunks: [sseData(...texts, '[DONE]')] });
      const router = new Router();
      router.registerProvider(adapter);
      const { stream } = await router.chatCompletionStream(request);
      const iterator = stream[Symbol.asyncIterator]();
      const forwarded: Array<string | undefined> = [];
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next())
        forwarded.push(chunkTextOf(iterator, next.value));
      expect(forwarded).toEqual(texts);
    } finally {
      await adapter.close?.();
      await upstream.close();
    }
  });

  it('falls back when a stream fails before its first chunk', async () => {
    const { router, adapters } = routerWith('a', 'b');
    adapters[0]?.script({ chunks: ['never'], failAfter: 0 });
    adapters[1]?.script({ chunks: ['ok'] });
    const { stream, provider, attempts } = await router.chatCompletionStream(request);
    expect([provider, attempts]).toEqual(['b', 2]);
    expect(await collect(stream)).toBe('ok');
    expect(router.healthStatus().a?.deployments.m?.consecutiveFailures).toBe(1);
  });

  it('falls back when the upstream refuses the stream', async () => {
    const { router, adapters } = routerWith('a', 'b');
    adapters[0]?.script({ status: 503 });
    const { provider } = await router.chatCompletionStream(request);
    expect(provider).toBe('b');
  });

  it('surfaces a failure after the first chunk to the consumer and records it', async () => {
    const { router, adapters } = routerWith('a', 'b');
    adapters[0]?.script({ chunks: ['one', 'two', 'three'], failAfter: 2 });
    const { stream } = await router.chatCompletionStream(request);
    await expect(collect(stream)).rejects.toMatchObject({ name: 'ProviderError', status: 502 });
    expect(router.healthStatus().a).toMatchObject({ inFlight: 0 });
    expect(router.healthStatus().a?.deployments.m).toMatchObject({ consecutiveFailures: 1 });
    expect(adapters[1]?.calls).toHaveLength(0);
  });

  it('records an abandoned stream as neither success nor failure and frees the probe slot', async () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock });
    const adapter = scriptedAdapter('a', ['m']);
    router.registerProvider(adapter);
    for (let index = 0; index < 5; index += 1) router.recordResult('a', { success: false });
    advance(30_000);
    adapter.script({ chunks: ['1', '2', '3'] });
    const { stream } = await router.chatCompletionStream(request);
    expect(() => router.selectProvider('m')).toThrow(/half_open_probes_busy/);
    for await (const chunk of stream) {
      void chunk;
      break;
    }
    expect(router.healthStatus().a).toMatchObject({ circuitState: 'half_open', consecutiveSuccesses: 0, inFlight: 0 });
    expect(router.selectProvider('m').name).toBe('a');
  });
});
