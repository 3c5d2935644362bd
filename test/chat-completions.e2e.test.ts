import { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { chunkBody, completionBody, errorScript, streamScript } from './support/openai-upstream.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function collect(
  stream: AsyncIterable<{ choices: Array<{ delta: { content?: string | null } }> }>,
): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

describe('POST /v1/chat/completions through the openai client', () => {
  it('answers a non-streamed request with the upstream completion and the routing headers', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    harness.upstreams.primary!.enqueue({
      kind: 'json',
      body: completionBody('Hi there', 'gpt-4o-mini', 'chatcmpl-42'),
    });
    const { data, response } = await harness.client.chat.completions
      .create({ ...userRequest(), temperature: 0, seed: 7 })
      .withResponse();
    expect(data.id).toBe('chatcmpl-42');
    expect(data.choices[0]?.message.content).toBe('Hi there');
    expect(response.headers.get('x-switchboard-provider')).toBe('primary');
    expect(response.headers.get('x-switchboard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9_-]+$/);
    const received = harness.upstreams.primary!.calls[0]!;
    expect(received.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0,
      seed: 7,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(received.headers.authorization).toBe('Bearer sk-upstream-primary');
  });

  it('streams every chunk as SSE ending in [DONE]', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    harness.upstreams.primary!.enqueue(streamScript(['One', ' two', ' three'], { delayMs: 5 }));
    const { data: stream, response } = await harness.client.chat.completions
      .create({ ...userRequest(), stream: true })
      .withResponse();
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-switchboard-provider')).toBe('primary');
    expect(await collect(stream)).toBe('One two three');
  });

  it('sends raw SSE lines: one data line per chunk, then data: [DONE]', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    harness.upstreams.primary!.enqueue(streamScript(['a', 'b']));
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...userRequest(), stream: true }),
    });
    const text = await response.text();
    const events = text.split('\n\n').filter((event) => event !== '');
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(
      events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)).choices[0].delta.content ?? null),
    ).toEqual(['a', 'b', null]);
  });

  it('forwards the client request byte for byte, unknown fields, spacing and number forms included', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const sent =
      '{ "model": "gpt-4o-mini", "messages": [{"role":"user","content":"hi ✓"}], "temperature": 0.0, "seed": 1e3, "x_vendor_option": {"keep": [1, 2]} }';
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: sent,
    });
    expect(response.status).toBe(200);
    expect(harness.upstreams.primary!.calls[0]!.rawBody).toBe(sent);
  });

  it('forwards a completion byte for byte, vendor fields and spacing included', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const rawBody =
      '{"id":"c9",  "object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ünïcode ✓"},"finish_reason":"stop"}],"system_fingerprint":"fp_x","x_vendor":[1,2]}';
    harness.upstreams.primary!.enqueue({ kind: 'json', body: null, rawBody });
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(userRequest()),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(rawBody);
  });

  it('forwards each upstream chunk byte for byte, vendor fields and spacing included', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const chunks = [
      '{"id":"c1", "object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"héllo 👋"},"finish_reason":null}],"x_vendor":{"cached":true}}',
      '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}',
    ];
    harness.upstreams.primary!.enqueue({ kind: 'stream', steps: chunks.map((raw) => ({ raw: `data: ${raw}\n\n` })) });
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...userRequest(), stream: true }),
    });
    expect(await response.text()).toBe(`${chunks.map((raw) => `data: ${raw}\n\n`).join('')}data: [DONE]\n\n`);
  });

  it('falls back to the second provider when the first answers 500 (no same-provider retry configured)', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      router: { retry: { sameProvider: 0 } },
    });
    harness.upstreams.primary!.enqueue(errorScript(500));
    const { data, response } = await harness.client.chat.completions.create(userRequest()).withResponse();
    expect(data.choices[0]?.message.content).toBe('hello from secondary');
    expect(response.headers.get('x-switchboard-provider')).toBe('secondary');
    expect(response.headers.get('x-switchboard-model')).toBe('gpt-4o-mini');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBe('server_error');
    expect(harness.upstreams.primary!.calls).toHaveLength(1);
  });

  it('falls back before the first chunk of a stream', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }, { name: 'secondary' }] });
    harness.upstreams.primary!.enqueue({ kind: 'stream', steps: [], then: 'reset' });
    harness.upstreams.secondary!.enqueue(streamScript(['from ', 'secondary']));
    const { data: stream, response } = await harness.client.chat.completions
      .create({ ...userRequest(), stream: true })
      .withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('secondary');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(await collect(stream)).toBe('from secondary');
  });

  it('ends a stream that fails mid-way with an SSE error event and no [DONE]', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }, { name: 'secondary' }] });
    harness.upstreams.primary!.enqueue({
      kind: 'stream',
      steps: [{ chunk: chunkBody('partial') }, { delayMs: 20 }],
      then: 'reset',
    });
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...userRequest(), stream: true }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain('[DONE]');
    const events = text.split('\n\n').filter((event) => event !== '');
    expect(JSON.parse(events[0]!.slice(6)).choices[0].delta.content).toBe('partial');
    const last = JSON.parse(events.at(-1)!.slice(6));
    expect(last.error).toMatchObject({ type: 'upstream_error' });
    expect(typeof last.error.message).toBe('string');
    expect(harness.upstreams.secondary!.calls).toHaveLength(0);

    harness.running.router.setEnabled('secondary', false);
    harness.upstreams.primary!.enqueue({
      kind: 'stream',
      steps: [{ chunk: chunkBody('partial') }, { delayMs: 20 }],
      then: 'reset',
    });
    const stream = await harness.client.chat.completions.create({ ...userRequest(), stream: true });
    await expect(collect(stream)).rejects.toThrow();
  });

  it('passes an upstream client error through without falling back', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }, { name: 'secondary' }] });
    harness.upstreams.primary!.enqueue({
      kind: 'json',
      status: 400,
      body: {
        error: {
          message: "Invalid value for 'temperature'",
          type: 'invalid_request_error',
          param: 'temperature',
          code: 'invalid_value',
        },
      },
    });
    const error = await harness.client.chat.completions.create(userRequest()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(400);
    expect((error as APIError).error).toMatchObject({
      message: "Invalid value for 'temperature'",
      param: 'temperature',
      code: 'invalid_value',
    });
    expect(harness.upstreams.secondary!.calls).toHaveLength(0);
    expect(harness.running.router.healthStatus().primary!.consecutiveFailures).toBe(0);
  });

  it('answers with the last upstream status when every attempt fails', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      router: { retry: { sameProvider: 0 } },
    });
    harness.upstreams.primary!.enqueue(errorScript(500));
    harness.upstreams.secondary!.enqueue(errorScript(503));
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(userRequest()),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({
      message: expect.any(String),
      type: expect.any(String),
    });
  });

  it('answers 502 when every upstream resets the connection, after one same-provider retry', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], router: { retry: { backoffMs: 10 } } });
    harness.upstreams.primary!.enqueue({ kind: 'reset' }, { kind: 'reset' });
    const error = (await harness.client.chat.completions
      .create(userRequest())
      .catch((caught: unknown) => caught)) as APIError;
    expect(error.status).toBe(502);
    expect(error.error).toMatchObject({ code: 'upstream_connection_error' });
    expect(error.headers?.get('x-switchboard-attempts')).toBe('2');
    expect(harness.upstreams.primary!.calls).toHaveLength(2);
  });

  it('times out a hung attempt (504) and falls back when another provider exists', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], router: { requestTimeoutMs: 150 } });
    harness.upstreams.primary!.enqueue({ kind: 'hang' });
    const error = (await harness.client.chat.completions
      .create(userRequest())
      .catch((caught: unknown) => caught)) as APIError;
    expect(error.status).toBe(504);
    expect(error.error).toMatchObject({ code: 'upstream_timeout' });
    await harness.upstreams.primary!.calls[0]!.socketClosed;
    await harness.close();

    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      router: { requestTimeoutMs: 150 },
    });
    harness.upstreams.primary!.enqueue({ kind: 'hang' });
    const { data, response } = await harness.client.chat.completions.create(userRequest()).withResponse();
    expect(data.choices[0]?.message.content).toBe('hello from secondary');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    harness.upstreams.primary!.enqueue({ kind: 'stream', steps: [{ chunk: chunkBody('first') }], then: 'hang' });
    const controller = new AbortController();
    const stream = await harness.client.chat.completions.create(
      { ...userRequest(), stream: true },
      { signal: controller.signal },
    );
    for await (const chunk of stream) {
      expect(chunk.choices[0]?.delta.content).toBe('first');
      controller.abort();
      break;
    }
    const call = harness.upstreams.primary!.calls[0]!;
    await call.socketClosed;
    expect(call.closedEarly).toBe(true);
  });

  it('aborts the upstream request when the client disconnects before the answer', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    harness.upstreams.primary!.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    const pending = harness.client.chat.completions
      .create(userRequest(), { signal: controller.signal })
      .catch((error: unknown) => error);
    while (harness.upstreams.primary!.calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await pending;
    const call = harness.upstreams.primary!.calls[0]!;
    await call.socketClosed;
    expect(call.closedEarly).toBe(true);
  });

  it('answers 404 model_not_found for a model no provider serves', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const error = (await harness.client.chat.completions
      .create(userRequest('gpt-9'))
      .catch((caught: unknown) => caught)) as APIError;
    expect(error.status).toBe(404);
    expect(error.error).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error', param: 'model' });
    expect(harness.upstreams.primary!.calls).toHaveLength(0);
  });

  it('answers 503 when every provider of the model is disabled', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    harness.running.router.setEnabled('primary', false);
    const error = (await harness.client.chat.completions
      .create(userRequest())
      .catch((caught: unknown) => caught)) as APIError;
    expect(error.status).toBe(503);
    expect(error.error).toMatchObject({ code: 'no_provider_available' });
  });
});
