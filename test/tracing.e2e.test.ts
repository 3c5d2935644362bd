import { SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { completionBody, errorScript, streamScript } from './support/openai-upstream.ts';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

let harness: Harness | undefined;
beforeAll(() => {
  expect(trace.setGlobalTracerProvider(provider)).toBe(true);
});
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  exporter.reset();
});

function spans() {
  const finished = exporter.getFinishedSpans();
  const request = finished.filter((span) => span.kind === SpanKind.SERVER);
  const attempts = finished.filter((span) => span.kind === SpanKind.CLIENT);
  return { request, attempts };
}

describe('OpenTelemetry spans (in-memory exporter)', () => {
  it('a request with one fallback: one request span, two attempt spans under it, the first an error', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }, { name: 'secondary' }] });
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
