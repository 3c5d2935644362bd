import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { startOpenAIUpstream, type OpenAIUpstream } from './support/openai-upstream.ts';

let harness: Harness | undefined;
let extraUpstream: OpenAIUpstream | undefined;
afterEach(async () => {
  await harness?.close();
  await extraUpstream?.close();
  harness = undefined;
  extraUpstream = undefined;
});

const ADMIN_TOKEN = 'admin-secret';

function admin(method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<Response> {
  return fetch(`${harness!.url}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function json<T = any>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe('admin API', () => {
  it('does not exist without server.adminToken', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const response = await admin('GET', '/providers');
    expect(response.status).toBe(404);
  });

  it('requires the admin token (401), even when gateway keys are set', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }],
      server: { adminToken: ADMIN_TOKEN, apiKeys: ['client-key'] },
      apiKey: 'client-key',
    });
    expect((await admin('GET', '/providers', undefined, 'client-key')).status).toBe(401);
    const missing = await fetch(`${harness.url}/admin/providers`);
    expect(missing.status).toBe(401);
    expect((await json(missing)).error.code).toBe('invalid_api_key');
    expect((await admin('GET', '/providers')).status).toBe(200);
  });

  it('lists providers with health and circuit, disables and enables them', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      server: { adminToken: ADMIN_TOKEN },
    });
    const listed = await json(await admin('GET', '/providers'));
    expect(listed.data.map((provider: { name: string }) => provider.name)).toEqual(['primary', 'secondary']);
    expect(listed.data[0]).toMatchObject({
      name: 'primary',
      type: 'openai',
      models: ['gpt-4o-mini'],
      enabled: true,
      available: true,
      circuitState: 'closed',
      weight: 1,
    });
    expect(listed.data[0].health).toMatchObject({ circuitState: 'closed', failureRate: 0, consecutiveFailures: 0 });

    const disabled = await admin('POST', '/providers/primary/disable');
    expect(disabled.status).toBe(200);
    expect((await json(disabled)).enabled).toBe(false);
    for (let index = 0; index < 3; index += 1) {
      const completion = await harness.client.chat.completions.create(userRequest()).withResponse();
      expect(completion.response.headers.get('x-switchboard-provider')).toBe('secondary');
    }
    await admin('POST', '/providers/secondary/disable');
    expect((await fetch(`${harness.url}/ready`)).status).toBe(503);
    const refused = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(userRequest()),
    });
    expect(refused.status).toBe(503);

    expect((await admin('POST', '/providers/primary/enable')).status).toBe(200);
    expect((await fetch(`${harness.url}/ready`)).status).toBe(200);
    const served = await harness.client.chat.completions.create(userRequest()).withResponse();
    expect(served.response.headers.get('x-switchboard-provider')).toBe('primary');
    expect(harness.upstreams.primary!.calls).toHaveLength(1);

    expect((await admin('POST', '/providers/nobody/disable')).status).toBe(404);
  });

  it('adds a provider from a config-shaped entry and removes it', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], server: { adminToken: ADMIN_TOKEN } });
    extraUpstream = await startOpenAIUpstream('added');
    const created = await admin('POST', '/providers', {
      name: 'added',
      type: 'openai',
      baseURL: extraUpstream.baseURL,
      apiKey: 'sk-added',
      models: ['gpt-4.1'],
    });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ name: 'added', type: 'openai', models: ['gpt-4.1'] });
    expect(
      (
        await admin('POST', '/providers', {
          name: 'added',
          type: 'openai',
          baseURL: extraUpstream.baseURL,
          models: ['x'],
        })
      ).status,
    ).toBe(409);
    const invalid = await admin('POST', '/providers', { name: 'broken', type: 'openai', baseURL: 'nope' });
    expect(invalid.status).toBe(400);
    expect((await json(invalid)).error.param).toBe('baseURL');
    const manyBad = await admin('POST', '/providers', {
      name: 'has spaces',
      type: 'openai',
      baseURL: 'nope',
      models: [],
      latencyMs: 5,
    });
    expect(manyBad.status).toBe(400);
    const manyBadError = (await json(manyBad)).error as {
      message: string;
      issues: { path: string; message: string }[];
    };
    expect(manyBadError.issues.map((issue) => issue.path).sort()).toEqual(['baseURL', 'latencyMs', 'models', 'name']);
    expect(manyBadError.message).toContain("latencyMs: unknown key for type 'openai'");
    expect(manyBadError.message).toContain('models: must list at least one model');

    const models = await harness.client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['gpt-4.1', 'gpt-4o-mini']);
    const completion = await harness.client.chat.completions.create(userRequest('gpt-4.1'));
    expect(completion.choices[0]?.message.content).toBe('hello from added');
    expect(extraUpstream.calls[0]!.headers.authorization).toBe('Bearer sk-added');

    const deleted = await admin('DELETE', '/providers/added');
    expect(deleted.status).toBe(200);
    expect(await json(deleted)).toEqual({ name: 'added', deleted: true });
    expect((await admin('DELETE', '/providers/added')).status).toBe(404);
    const gone = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(userRequest('gpt-4.1')),
    });
    expect(gone.status).toBe(404);
    expect((await json(gone)).error.code).toBe('model_not_found');
  });

  it('reads and sets the circuit-breaker config, refusing bad values', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], server: { adminToken: ADMIN_TOKEN } });
    const initial = await json(await admin('GET', '/circuit-breaker'));
    expect(initial).toMatchObject({
      failureRateThreshold: 0.5,
      consecutiveFailureLimit: 5,
      halfOpenSuccessThreshold: 3,
      openTimeoutMs: 30_000,
    });
    const updated = await admin('PUT', '/circuit-breaker', { consecutiveFailureLimit: 2, openTimeoutMs: 5_000 });
    expect((await admin('PATCH', '/circuit-breaker', { halfOpenSuccessThreshold: 4 })).status).toBe(200);
    expect(updated.status).toBe(200);
    expect(await json(updated)).toMatchObject({
      consecutiveFailureLimit: 2,
      openTimeoutMs: 5_000,
      failureRateThreshold: 0.5,
    });
    expect(harness.running.router.circuitConfig().halfOpenSuccessThreshold).toBe(4);
    expect(harness.running.router.circuitConfig().consecutiveFailureLimit).toBe(2);

    const wrongType = await admin('PUT', '/circuit-breaker', { consecutiveFailureLimit: 'two' });
    expect(wrongType.status).toBe(400);
    expect((await json(wrongType)).error.param).toBe('consecutiveFailureLimit');
    expect((await admin('PUT', '/circuit-breaker', { failureRateThreshold: 2 })).status).toBe(400);
    expect((await admin('PUT', '/circuit-breaker', { unknownKey: 1 })).status).toBe(400);
    const badJson = await fetch(`${harness.url}/admin/circuit-breaker`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: '{',
    });
    expect(badJson.status).toBe(400);
    expect((await json(await admin('GET', '/circuit-breaker'))).consecutiveFailureLimit).toBe(2);
  });
});

describe('status endpoints', () => {
  it('GET /v1/models lists every registered model in the OpenAI list shape', async () => {
    harness = await startHarness({
      upstreams: [
        { name: 'zeta', models: ['gpt-4o', 'shared'] },
        { name: 'alpha', models: ['shared', '*'] },
      ],
    });
    const response = await fetch(`${harness.url}/v1/models`);
    const body = await json(response);
    expect(body.object).toBe('list');
    expect(body.data).toEqual([
      { id: 'gpt-4o', object: 'model', created: expect.any(Number), owned_by: 'zeta' },
      { id: 'shared', object: 'model', created: expect.any(Number), owned_by: 'alpha' },
    ]);
    const viaClient = await harness.client.models.list();
    expect(viaClient.data.map((model) => model.id)).toEqual(['gpt-4o', 'shared']);
  });

  it('GET /health is 200 {"status":"ok"}; GET /ready follows provider availability', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const health = await fetch(`${harness.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${harness.url}/ready`)).status).toBe(200);
    harness.running.router.setEnabled('primary', false);
    const ready = await fetch(`${harness.url}/ready`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${harness.url}/health`)).status).toBe(200);
  });

  it('GET /metrics serves Prometheus text with the documented families', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    await harness.client.chat.completions.create(userRequest());
    const response = await fetch(`${harness.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    for (const family of [
      'circuit_state_changes_total',
      'switchboard_requests_total',
      'switchboard_request_duration_seconds',
      'switchboard_time_to_first_token_seconds',
      'switchboard_requests_in_flight',
      'switchboard_tokens_total',
      'switchboard_fallbacks_total',
      'switchboard_provider_attempts_total',
      'switchboard_provider_latency_ema_seconds',
      'switchboard_provider_failure_rate',
      'switchboard_provider_circuit_state',
    ]) {
      expect(text).toContain(`# TYPE ${family} `);
    }
    expect(text).toContain('switchboard_tokens_total{provider="primary",model="gpt-4o-mini",kind="prompt"} 7');
    expect(text).toContain('switchboard_tokens_total{provider="primary",model="gpt-4o-mini",kind="completion"} 3');
    expect(text).toContain('switchboard_requests_in_flight 0');
  });
});
