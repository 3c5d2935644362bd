/**
 * Issue 12, "Why" 8, 9, 10 and 12 through real sockets: upstream failures logged by cause at `warn`;
 * a provider named `__proto__` refused (and per-provider maps without a prototype); wrong-key floods
 * limited per client address; the admin API refusing CR/LF header values and hosts outside
 * `server.admin.allowedUpstreams`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../bootstrap.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import type { RequestLogRecord } from '../../src/gateway/request-log.ts';
import { createMetrics } from '../../src/metrics/gateway-metrics.ts';
import { Router } from '../../src/router/router.ts';
import { scriptedAdapter } from '../../src/router/test-support/scripted-adapter.ts';
import { fakeClock, startHarness, userRequest, type Harness } from '../support/gateway-harness.ts';
import { errorScript } from '../support/openai-upstream.ts';

let harness: Harness | undefined;
let running: RunningServer | undefined;
afterEach(async () => {
  await harness?.close();
  await running?.close();
  harness = undefined;
  running = undefined;
});

describe('upstream failures in the log', () => {
  it('logs an upstream 500 at warn with its cause, not as an unexpected error', async () => {
    const logs: RequestLogRecord[] = [];
    harness = await startHarness({
      upstreams: [{ name: 'primary' }],
      router: { maxAttempts: 1 },
      bootstrap: { logger: (record) => logs.push(record) },
    });
    harness.upstreams.primary!.enqueue(errorScript(500, 'database on fire'));
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(userRequest()),
    });
    expect(response.status).toBe(500);
    expect(logs.filter((record) => record.level === 'error')).toEqual([]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'upstream failure',
        provider: 'primary',
        kind: 'http',
        upstreamStatus: 500,
        error: expect.stringContaining('database on fire'),
      }),
    );
  });
});

describe('reserved provider names', () => {
  it('refuses __proto__, constructor and prototype as provider names, in the config and the admin API', async () => {
    for (const name of ['__proto__', 'constructor', 'prototype', 'toString']) {
      const error = await startServer({
        config: { providers: [{ name, type: 'mock', models: ['m'] }] },
        port: 0,
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues[0]!.path).toBe('providers[0].name');
    }
    running = await startServer({ config: { server: { adminToken: 'admin-secret' } }, port: 0 });
    const added = await fetch(`${running.url}/admin/providers`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' },
      body: '{"name":"__proto__","type":"mock","models":["m"]}',
    });
    expect(added.status).toBe(400);
    expect(running.router.providers()).toEqual([]);
  });

  it('keeps a router provider named __proto__ in every per-provider gauge (SDK users may name it so)', async () => {
    const router = new Router({ strategy: 'round_robin' });
    router.registerProvider(scriptedAdapter('__proto__', ['m']));
    const metrics = createMetrics({ router });
    const text = await metrics.render();
    expect(text).toContain('switchboard_provider_circuit_state{provider="__proto__",state="closed"} 1');
    expect(text).toContain('switchboard_provider_available{provider="__proto__"} 1');
    expect(Object.keys(router.healthStatus())).toEqual(['__proto__']);
    metrics.close();
  });
});

describe('failed-auth limit per client address', () => {
  it('answers 429 with retry-after after 30 wrong keys a minute, even to a right key, then lets it in again', async () => {
    const clock = fakeClock();
    harness = await startHarness({
      upstreams: [{ name: 'primary' }],
      server: { apiKeys: ['right-key'] },
      bootstrap: { clock: clock.now },
    });
    const call = (key: string) =>
      fetch(`${harness!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(userRequest()),
      });
    for (let index = 0; index < 30; index += 1) expect((await call(`wrong-${index}`)).status).toBe(401);
    const limited = await call('wrong-again');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('too_many_failed_auth_attempts');
    expect((await call('right-key')).status).toBe(429);
    clock.advance(2_001); // one failure's worth of budget back (30 a minute)
    expect((await call('right-key')).status).toBe(200);
    expect(harness.upstreams.primary!.calls).toHaveLength(1);
  });
});

describe('admin API: added providers', () => {
  const admin = (url: string, body: unknown) =>
    fetch(`${url}/admin/providers`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses header values with CR or LF', async () => {
    running = await startServer({ config: { server: { adminToken: 'admin-secret' } }, port: 0 });
    const response = await admin(running.url, {
      name: 'injected',
      type: 'openai',
      baseURL: 'https://api.openai.com/v1',
      headers: { 'x-extra': 'a\r\nx-injected: 1' },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe('headers.x-extra');
    expect(running.router.provider('injected')).toBeUndefined();
  });

  it('refuses upstream hosts outside server.admin.allowedUpstreams, link-local metadata included', async () => {
    running = await startServer({
      config: {
        server: { adminToken: 'admin-secret', admin: { allowedUpstreams: ['*.openai.com', 'api.anthropic.com'] } },
      },
      port: 0,
    });
    for (const baseURL of [
      'http://169.254.169.254/latest',
      'https://openai.com.evil.example/v1',
      'https://openai.com/v1',
    ]) {
      const response = await admin(running.url, { name: 'pinned', type: 'openai', baseURL });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upstream_not_allowed');
    }
    expect(
      (await admin(running.url, { name: 'ok', type: 'openai', baseURL: 'https://api.openai.com/v1' })).status,
    ).toBe(201);
    expect((await admin(running.url, { name: 'claude', type: 'anthropic', apiKey: 'k-123456' })).status).toBe(201);
    expect(running.router.providers().map((adapter) => adapter.name)).toEqual(['ok', 'claude']);
  });
});
