import { afterEach, describe, expect, it } from 'vitest';
import type { RequestLogRecord } from '../src/gateway/request-log.ts';
import { startHarness, userRequest, type Harness, type HarnessOptions } from './support/gateway-harness.ts';
import { errorScript } from './support/openai-upstream.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(
  options: Omit<HarnessOptions, 'bootstrap'>,
): Promise<{ harness: Harness; logs: RequestLogRecord[] }> {
  const logs: RequestLogRecord[] = [];
  harness = await startHarness({ ...options, bootstrap: { logger: (record) => logs.push(record) } });
  return { harness, logs };
}

const attemptFailures = (logs: RequestLogRecord[]) => logs.filter((record) => record.msg === 'upstream attempt failed');

describe('operator logs', () => {
  it('an upstream 500: status, the start of its body (scrubbed), at warn, even when a fallback served', async () => {
    const { harness, logs } = await start({ upstreams: [{ name: 'primary' }, { name: 'secondary' }] });
    const longMessage = `primary is down; key sk-upstream-primary leaked; ${'x'.repeat(400)}`;
    // The first try and its same-provider retry fail, so the secondary serves.
    harness.upstreams.primary!.enqueue(errorScript(500, longMessage));
    harness.upstreams.primary!.enqueue(errorScript(500, longMessage));
    const completion = await harness.client.chat.completions.create(userRequest(), {
      headers: { 'x-request-id': 'req-operator-logs-500' },
    });
    expect(completion.choices[0]?.message.content).toBe('hello from secondary');

    const [failure] = attemptFailures(logs);
    expect(failure).toMatchObject({
      id: 'req-operator-logs-500',
      level: 'warn',
      provider: 'primary',
      model: 'gpt-4o-mini',
      kind: 'http',
      upstreamStatus: 500,
      countsAsFailure: true,
    });
    expect(failure!.upstreamBody).toContain('primary is down');
    expect(failure!.upstreamBody!.length).toBeLessThanOrEqual(200);
    expect(JSON.stringify(logs)).not.toContain('sk-upstream-primary');
  });

  it('a refused connection: ECONNREFUSED', async () => {
    const { harness, logs } = await start({ upstreams: [{ name: 'primary' }], router: { maxAttempts: 1 } });
    // Nothing listens on the upstream's port any more.
    await harness.upstreams.primary!.close();
    const answer = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(userRequest()),
    });
    expect(answer.status).toBe(502);
    // A generated id: the one the answer carries, on the attempt's line as on the access line.
    const requestId = answer.headers.get('x-request-id');
    expect(requestId).toMatch(/\S/);
    expect(attemptFailures(logs)[0]).toMatchObject({
      id: requestId,
      level: 'warn',
      provider: 'primary',
      kind: 'connection',
      connectionErrorCode: 'ECONNREFUSED',
    });
  });

  it('a connection reset before the headers: its connection error code', async () => {
    const { harness, logs } = await start({ upstreams: [{ name: 'primary' }], router: { maxAttempts: 1 } });
    harness.upstreams.primary!.enqueue({ kind: 'reset' });
    await expect(harness.client.chat.completions.create(userRequest())).rejects.toMatchObject({ status: 502 });
    const [failure] = attemptFailures(logs);
    expect(failure).toMatchObject({ level: 'warn', provider: 'primary', kind: 'connection' });
    expect(failure!.connectionErrorCode).toMatch(/^(ECONNRESET|UND_ERR_SOCKET|EPIPE)$/);
  });

  it('a timeout: kind timeout with the limit in its message', async () => {
    const { harness, logs } = await start({
      upstreams: [{ name: 'primary' }],
      router: { maxAttempts: 1, requestTimeoutMs: 300 },
    });
    harness.upstreams.primary!.enqueue({ kind: 'hang' });
    await expect(harness.client.chat.completions.create(userRequest())).rejects.toMatchObject({ status: 504 });
    const [failure] = attemptFailures(logs);
    expect(failure).toMatchObject({ level: 'warn', provider: 'primary', kind: 'timeout' });
    expect(failure!.error).toMatch(/time/i);
  });

  it('a circuit transition and a failed health probe are logged', async () => {
    const { harness, logs } = await start({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      router: { circuitBreaker: { consecutiveFailureLimit: 2, failureRateThreshold: 1 } },
    });
    harness.upstreams.primary!.setDefault(errorScript(503, 'overloaded'));
    for (let request = 0; request < 4; request += 1) await harness.client.chat.completions.create(userRequest());
    expect(logs.find((record) => record.msg === 'circuit state change')).toMatchObject({
      level: 'warn',
      provider: 'primary',
      from: 'closed',
      to: 'open',
      reason: 'failure_rate_or_consecutive_failures',
    });

    harness.upstreams.secondary!.setHealthy(false);
    await harness.running.router.checkHealth();
    expect(logs.find((record) => record.msg === 'health probe failed')).toMatchObject({
      level: 'warn',
      provider: 'secondary',
    });
    expect(logs.find((record) => record.msg === 'health probe failed')!.error).toBeTypeOf('string');
  });

  it('GET /health and /metrics write no line at info; other requests do', async () => {
    const { harness, logs } = await start({ upstreams: [{ name: 'primary' }] });
    expect((await fetch(`${harness.url}/health`)).status).toBe(200);
    expect((await fetch(`${harness.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${harness.url}/ready`)).status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    const paths = logs.filter((record) => record.msg === 'request').map((record) => record.path);
    expect(paths).toEqual(['/ready']);
  });

  it('server.logLevel: debug adds the /health line; warn keeps only warnings and errors', async () => {
    const debug = await start({ upstreams: [{ name: 'primary' }], server: { logLevel: 'debug' } });
    await fetch(`${debug.harness.url}/health`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(debug.logs.find((record) => record.path === '/health')).toMatchObject({ level: 'debug', status: 200 });
    await debug.harness.close();

    const warn = await start({
      upstreams: [{ name: 'primary' }],
      server: { logLevel: 'warn' },
      router: { maxAttempts: 1 },
    });
    warn.harness.upstreams.primary!.enqueue(errorScript(500, 'down'));
    await expect(warn.harness.client.chat.completions.create(userRequest())).rejects.toMatchObject({ status: 500 });
    await fetch(`${warn.harness.url}/ready`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warn.logs.length).toBeGreaterThan(0);
    expect(warn.logs.every((record) => record.level === 'warn' || record.level === 'error')).toBe(true);
  });
});
