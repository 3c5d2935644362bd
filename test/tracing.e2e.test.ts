import { SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { completionBody, errorScript, streamScript } from './support/openai-upstream.ts';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

let harness: Harness | undefined;
let endpoints: EndpointGateway | undefined;
beforeAll(() => {
  expect(trace.setGlobalTracerProvider(provider)).toBe(true);
});
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});
afterEach(async () => {
  await harness?.close();
  await endpoints?.close();
  harness = undefined;
  endpoints = undefined;
  exporter.reset();
});

/** The gateway's finished spans (the `@anthropic-ai/sdk` client records spans of its own under the same provider). */
function spans() {
  const finished = exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === 'switchboard');
  const request = finished.filter((span) => span.kind === SpanKind.SERVER);
  const attempts = finished.filter((span) => span.kind === SpanKind.CLIENT);
  return { request, attempts };
}

describe('OpenTelemetry spans (in-memory exporter)', () => {
  it('a request with one fallback: one request span, two attempt spans under it, the first an error', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      router: { retry: { sameProvider: 0 } },
    });
    harness.upstreams.primary!.enqueue(errorScript(500, 'primary is down'));
    harness.upstreams.secondary!.enqueue({
      kind: 'json',
      body: completionBody('hello from secondary', 'gpt-4o-mini-2024-07-18'),
    });
    const completion = await harness.client.chat.completions.create(userRequest());
    expect(completion.choices[0]?.message.content).toBe('hello from secondary');

    const { request, attempts } = spans();
    expect(request).toHaveLength(1);
    expect(attempts).toHaveLength(2);
    const [requestSpan] = request;
    const [failed, served] = [...attempts].sort(
      (left, right) => Number(left.attributes['switchboard.attempt']) - Number(right.attributes['switchboard.attempt']),
    );
    for (const attempt of attempts) {
      expect(attempt.spanContext().traceId).toBe(requestSpan!.spanContext().traceId);
      expect(attempt.parentSpanContext?.spanId).toBe(requestSpan!.spanContext().spanId);
    }
    expect(requestSpan!.name).toBe('POST /v1/chat/completions');
    expect(requestSpan!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.provider.name': 'openai',
      'gen_ai.usage.input_tokens': 7,
      'gen_ai.usage.output_tokens': 3,
      'http.response.status_code': 200,
      'switchboard.provider': 'secondary',
      'switchboard.attempts': 2,
    });
    expect(requestSpan!.status.code).toBe(SpanStatusCode.UNSET);

    expect(failed!.name).toBe('chat gpt-4o-mini');
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'error.type': '500',
      'http.response.status_code': 500,
      'switchboard.provider': 'primary',
      'switchboard.attempt': 1,
      'switchboard.attempt.kind': 'first',
    });
    expect(served!.status.code).toBe(SpanStatusCode.UNSET);
    expect(served!.attributes).toMatchObject({
      'switchboard.provider': 'secondary',
      'switchboard.attempt': 2,
      'switchboard.attempt.kind': 'fallback',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 7,
      'gen_ai.usage.output_tokens': 3,
    });
    expect(served!.attributes['error.type']).toBeUndefined();
  });

  it('a stream: its attempt span lasts until the stream ended; a refused connection is its error.type', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }, { name: 'secondary' }] });
    await harness.upstreams.primary!.close();
    harness.upstreams.secondary!.enqueue(streamScript(['Hel', 'lo'], { delayMs: 20 }));
    const stream = await harness.client.chat.completions.create({ ...userRequest(), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello');

    const { request, attempts } = spans();
    expect(request).toHaveLength(1);
    expect(attempts).toHaveLength(2);
    const refused = attempts.find((span) => span.attributes['switchboard.provider'] === 'primary')!;
    expect(refused.attributes['error.type']).toBe('ECONNREFUSED');
    const served = attempts.find((span) => span.attributes['switchboard.provider'] === 'secondary')!;
    expect(served.attributes['switchboard.stream']).toBe(true);
    // At least the 20 ms pause between the chunks: the span covers the stream, not just its first chunk.
    const durationMs = served.duration[0] * 1000 + served.duration[1] / 1e6;
    expect(durationMs).toBeGreaterThanOrEqual(15);
    expect(request[0]!.attributes['switchboard.stream']).toBe(true);
  });

  it('a request every attempt of which failed: the request span is an error with the code sent', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], router: { maxAttempts: 1 } });
    harness.upstreams.primary!.enqueue(errorScript(503, 'overloaded'));
    await expect(harness.client.chat.completions.create(userRequest())).rejects.toMatchObject({ status: 503 });
    const { request, attempts } = spans();
    expect(attempts).toHaveLength(1);
    expect(request[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(request[0]!.attributes['http.response.status_code']).toBe(503);
    expect(request[0]!.attributes['error.type']).toBeTypeOf('string');
  });

  it("continues the client's trace from its traceparent when the host registered the W3C propagator", async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      await harness.client.chat.completions.create(userRequest(), {
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      });
    } finally {
      propagation.disable();
    }
    const { request, attempts } = spans();
    expect(request).toHaveLength(1);
    expect(request[0]!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(request[0]!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(attempts[0]!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('records nothing once no SDK is registered', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    trace.disable();
    try {
      await harness.client.chat.completions.create(userRequest());
      expect(exporter.getFinishedSpans()).toHaveLength(0);
    } finally {
      expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    }
    await harness.client.chat.completions.create(userRequest());
    expect(spans().request).toHaveLength(1);
  });
});

describe('OpenTelemetry spans of the other routed endpoints', () => {
  /** The one request span and its attempt spans, each attempt checked to be a child of the request span. */
  function requestWithAttempts() {
    const { request, attempts } = spans();
    expect(request).toHaveLength(1);
    const requestSpan = request[0]!;
    for (const attempt of attempts) {
      expect(attempt.spanContext().traceId).toBe(requestSpan.spanContext().traceId);
      expect(attempt.parentSpanContext?.spanId).toBe(requestSpan.spanContext().spanId);
    }
    const ordered = [...attempts].sort(
      (left, right) => Number(left.attributes['switchboard.attempt']) - Number(right.attributes['switchboard.attempt']),
    );
    return { requestSpan, attempts: ordered };
  }

  it("/v1/messages streamed from an anthropic provider (@anthropic-ai/sdk): chat spans with the stream's model and usage", async () => {
    endpoints = await startEndpointGateway();
    const client = new Anthropic({ baseURL: endpoints.url, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
    await client.messages
      .stream({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'Hi' }] })
      .finalMessage();

    const { requestSpan, attempts } = requestWithAttempts();
    expect(requestSpan.name).toBe('POST /v1/messages');
    expect(requestSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.usage.input_tokens': 25,
      'gen_ai.usage.output_tokens': 15,
      'http.route': '/v1/messages',
      'http.response.status_code': 200,
      'switchboard.provider': 'claude',
      'switchboard.stream': true,
    });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.name).toBe('chat claude-sonnet-4-5');
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(attempts[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
      'switchboard.provider': 'claude',
      'switchboard.stream': true,
    });
  });

  it('/v1/responses with one fallback: a chat request span, two attempt spans, the first an error', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      router: { strategy: 'availability', retry: { sameProvider: 0 } },
    });
    harness.upstreams.primary!.enqueue(errorScript(500, 'primary is down'));
    const response = await harness.client.responses.create({ model: 'gpt-4o-mini', input: 'Hi' });
    expect(response.model).toBe('gpt-4o-mini-2024-07-18');

    const { requestSpan, attempts } = requestWithAttempts();
    expect(requestSpan.name).toBe('POST /v1/responses');
    expect(requestSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.provider.name': 'openai',
      'gen_ai.usage.input_tokens': 19,
      'gen_ai.usage.output_tokens': 12,
      'http.response.status_code': 200,
      'switchboard.provider': 'secondary',
      'switchboard.attempts': 2,
    });
    expect(attempts).toHaveLength(2);
    const [failed, served] = attempts;
    expect(failed!.name).toBe('chat gpt-4o-mini');
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'error.type': '500',
      'switchboard.provider': 'primary',
      'switchboard.attempt.kind': 'first',
    });
    expect(served!.attributes).toMatchObject({
      'switchboard.provider': 'secondary',
      'switchboard.attempt.kind': 'fallback',
      'gen_ai.usage.input_tokens': 19,
      'gen_ai.usage.output_tokens': 12,
    });
  });

  it('/v1/embeddings: an embeddings request span and attempt span, with the input tokens', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary', models: ['text-embedding-3-small'] }] });
    harness.upstreams.primary!.enqueue({
      kind: 'json',
      body: {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [0.25, -0.5] }],
        model: 'text-embedding-3-small-v2',
        usage: { prompt_tokens: 3, total_tokens: 3 },
      },
    });
    const embedded = await harness.client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'hello there',
      encoding_format: 'float',
    });
    expect(embedded.data[0]?.embedding).toEqual([0.25, -0.5]);

    const { requestSpan, attempts } = requestWithAttempts();
    expect(requestSpan.name).toBe('POST /v1/embeddings');
    expect(requestSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.response.model': 'text-embedding-3-small-v2',
      'gen_ai.provider.name': 'openai',
      'gen_ai.usage.input_tokens': 3,
      'http.response.status_code': 200,
      'switchboard.provider': 'primary',
    });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.name).toBe('embeddings text-embedding-3-small');
    expect(attempts[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.usage.input_tokens': 3,
    });
  });

  it('records nothing on these endpoints once no SDK is registered', async () => {
    endpoints = await startEndpointGateway();
    const client = new Anthropic({ baseURL: endpoints.url, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 10_000 });
    trace.disable();
    try {
      await client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(spans()).toEqual({ request: [], attempts: [] });
    } finally {
      expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    }
  });
});
