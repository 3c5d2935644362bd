import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type GatewayMetrics } from '../metrics/gateway-metrics.ts';
import { Router } from '../router/router.ts';
import { scriptedAdapter } from '../router/test-support/scripted-adapter.ts';
import { createGateway, type GatewayOptions } from './create-gateway.ts';
import type { RequestLogRecord } from './request-log.ts';

let metrics: GatewayMetrics | undefined;
afterEach(() => {
  metrics?.close();
  metrics = undefined;
});

function build(gatewayOptions: Partial<GatewayOptions> = {}) {
  const router = new Router({ strategy: 'round_robin' });
  const primary = scriptedAdapter('primary', ['gpt-4o-mini']);
  const secondary = scriptedAdapter('secondary', ['gpt-4o-mini']);
  router.registerProvider(primary);
  router.registerProvider(secondary);
  metrics = createMetrics({ router });
  const records: RequestLogRecord[] = [];
  const app = createGateway({ router, metrics, logger: (record) => records.push(record), ...gatewayOptions });
  return { app, router, primary, secondary, records };
}

const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'secret prompt' }], ...extra });
const post = (extra?: Record<string, unknown>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: body(extra),
});

describe('createGateway under app.request()', () => {
  it('serves a completion with the routing headers and logs one line without content', async () => {
    const { app, records } = build();
    const response = await app.request('/v1/chat/completions', post(undefined, { 'x-request-id': 'custom-req-id' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('custom-req-id');
    expect(response.headers.get('x-switchboard-provider')).toBe('primary');
    expect(response.headers.get('x-switchboard-attempts')).toBe('1');
    expect(
      ((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content,
    ).toBe('from primary');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      id: 'custom-req-id',
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      model: 'gpt-4o-mini',
      provider: 'primary',
      attempts: 1,
      stream: false,
    });
    expect(JSON.stringify(records)).not.toContain('secret prompt');
  });

  it('streams SSE and ends with [DONE]', async () => {
    const { app, primary } = build();
    primary.script({ chunks: ['a', 'b'] });
    const response = await app.request('/v1/chat/completions', post({ stream: true }));
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text.match(/^data: \{/gm)).toHaveLength(2);
  });

  it('ends a failing stream with an error event and no [DONE]', async () => {
    const { app, primary } = build();
    primary.script({ chunks: ['a', 'b', 'c'], failAfter: 1 });
    const text = await (await app.request('/v1/chat/completions', post({ stream: true }))).text();
    expect(text).not.toContain('[DONE]');
    const last = text.trim().split('\n\n').at(-1)!;
    expect(JSON.parse(last.slice(6)).error).toMatchObject({ type: expect.any(String), message: expect.any(String) });
  });

  it('falls back on a retryable status and passes a client error through', async () => {
    const { app, primary, secondary } = build();
    primary.script({ status: 503 });
    const fallback = await app.request('/v1/chat/completions', post());
    expect(fallback.headers.get('x-switchboard-provider')).toBe('secondary');
    expect(fallback.headers.get('x-switchboard-model')).toBe('gpt-4o-mini');
    expect(fallback.headers.get('x-switchboard-attempts')).toBe('3');
    expect(fallback.headers.get('x-switchboard-fallback-reason')).toBe('server_error');

    secondary.script({ status: 422 });
    primary.script({ status: 422 });
    const refused = await app.request('/v1/chat/completions', post());
    expect(refused.status).toBe(422);
  });

  it('answers OpenAI-shaped errors with request ids: 400, 404 model, 404 route, 413', async () => {
    const { app } = build({ maxBodyBytes: 200 });
    const badJson = await app.request('/v1/chat/completions', { method: 'POST', body: '{' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_json' },
    });
    expect(badJson.headers.get('x-request-id')).toBeTruthy();

    const unknownModel = await app.request('/v1/chat/completions', post({ model: 'nope' }));
    expect(unknownModel.status).toBe(404);
    expect(((await unknownModel.json()) as { error: { code: string } }).error.code).toBe('model_not_found');

    const unknownRoute = await app.request('/v1/no-such-route', { method: 'POST' });
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.headers.get('x-request-id')).toBeTruthy();

    const huge = await app.request('/v1/chat/completions', post({ padding: 'x'.repeat(500) }));
    expect(huge.status).toBe(413);
  });

  it('guards /v1 with gateway keys and keeps /health open', async () => {
    const { app } = build({ apiKeys: ['k1'] });
    expect((await app.request('/v1/models')).status).toBe(401);
    expect((await app.request('/v1/models', { headers: { authorization: 'Bearer k1' } })).status).toBe(200);
    expect((await app.request('/health')).status).toBe(200);
  });
});
