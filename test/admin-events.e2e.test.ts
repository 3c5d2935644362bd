import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockProvider } from '../providers/index.ts';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { errorScript } from './support/openai-upstream.ts';
import { readSse, type SseReader } from './support/sse-reader.ts';

const ADMIN_TOKEN = 'admin-secret';

let harness: Harness | undefined;
let events: SseReader | undefined;
afterEach(async () => {
  await events?.cancel();
  await harness?.close();
  harness = undefined;
  events = undefined;
});

async function openEvents(token = ADMIN_TOKEN): Promise<SseReader> {
  const response = await fetch(`${harness!.url}/admin/events`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = readSse(response);
  await reader.next((message) => message.event === 'comment' && message.comment === 'connected');
  return reader;
}

describe('GET /admin/events', () => {
  it('exists only with server.adminToken and requires it', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    expect((await fetch(`${harness.url}/admin/events`)).status).toBe(404);
    expect((await fetch(`${harness.url}/dashboard`)).status).toBe(404);
    await harness.close();

    harness = await startHarness({ upstreams: [{ name: 'primary' }], server: { adminToken: ADMIN_TOKEN } });
    const missing = await fetch(`${harness.url}/admin/events`);
    expect(missing.status).toBe(401);
    const wrong = await fetch(`${harness.url}/admin/events`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });

  it('streams a circuit transition as it happens, with the results that caused it', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      server: { adminToken: ADMIN_TOKEN },
      router: { circuitBreaker: { consecutiveFailureLimit: 2, failureRateThreshold: 1 } },
    });
    harness.upstreams.primary!.setDefault(errorScript(500, 'primary is down'));
    events = await openEvents();

    for (let request = 0; request < 4; request += 1) {
      const completion = await harness.client.chat.completions.create(userRequest());
      expect(completion.choices[0]?.message.content).toBe('hello from secondary');
    }
    const change = await events.next((message) => message.event === 'circuitStateChange');
    expect(JSON.parse(change.data)).toMatchObject({
      provider: 'primary',
      from: 'closed',
      to: 'open',
      reason: 'failure_rate_or_consecutive_failures',
    });
    const failures = events.messages
      .filter((message) => message.event === 'result')
      .map((message) => JSON.parse(message.data))
      .filter((result) => result.provider === 'primary');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]).toMatchObject({ provider: 'primary', success: false, circuitState: 'closed' });
    const attempts = events.messages.filter((message) => message.event === 'attempt').map((m) => JSON.parse(m.data));
    expect(attempts.some((attempt) => attempt.provider === 'secondary' && attempt.kind === 'fallback')).toBe(true);
  });

  it('tells about providers added and removed through the admin API', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], server: { adminToken: ADMIN_TOKEN } });
    events = await openEvents();
    const added = await fetch(`${harness.url}/admin/providers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'extra', type: 'mock', models: ['*'] }),
    });
    expect(added.status).toBe(201);
    const registered = await events.next((message) => message.event === 'providerRegistered');
    expect(JSON.parse(registered.data)).toEqual({ provider: 'extra' });
    await fetch(`${harness.url}/admin/providers/extra`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const unregistered = await events.next((message) => message.event === 'providerUnregistered');
    expect(JSON.parse(unregistered.data)).toEqual({ provider: 'extra' });
  });

  it('drops a client that stopped reading instead of buffering without bound', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], server: { adminToken: ADMIN_TOKEN } });
    const url = new URL(harness.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(`GET /admin/events HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${ADMIN_TOKEN}\r\n\r\n`);
    const firstBytes = await new Promise<string>((resolve) => socket.once('data', (data) => resolve(String(data))));
    expect(firstBytes).toMatch(/^HTTP\/1\.1 200/);
    socket.pause();

    // Each result event of a provider with a 16 kB name is ~16 kB; 4000 of them (64 MB) overflow
    // every socket buffer and the stream's own 1 MiB bound.
    const router = harness.running.router;
    const name = 'p'.repeat(16_000);
    router.registerProvider(createMockProvider({ name, models: ['nothing'] }));
    for (let batch = 0; batch < 40; batch += 1) {
      for (let index = 0; index < 100; index += 1) router.recordResult(name, { success: true, latencyMs: 1 });
      await new Promise((resolve) => setImmediate(resolve));
    }
    socket.resume();
    socket.on('data', () => {});
    await closed;

    // The gateway serves on, and a new client gets a fresh stream.
    events = await openEvents();
    router.unregisterProvider(name);
    expect(JSON.parse((await events.next((message) => message.event === 'providerUnregistered')).data)).toEqual({
      provider: name,
    });
  });
});

describe('GET /dashboard', () => {
  it('serves one self-contained page that may load nothing from elsewhere', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], server: { adminToken: ADMIN_TOKEN } });
    const response = await fetch(`${harness.url}/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+rel="stylesheet"/);
    expect(html).toContain('type="password"');
  });
});
