/**
 * Issue 12, "Why" 2: label values are bounded in length and count, so no client can break `/metrics`.
 * Through real sockets: the gateway on an ephemeral port with an in-process `'*'` provider.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../bootstrap.ts';
import { silentLogger } from '../../src/gateway/request-log.ts';

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

function post(body: unknown): Promise<Response> {
  return fetch(`${running!.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('bounded metric labels', () => {
  it('refuses model names over 256 characters with 400 before routing, so they never become labels', async () => {
    running = await startServer({
      config: { providers: [{ name: 'any', type: 'mock', models: ['*'], latencyMs: 0 }] },
      port: 0,
      logger: silentLogger,
    });
    const huge = 'm'.repeat(9 * 1024 * 1024);
    for (const model of [huge, 'n'.repeat(257)]) {
      const response = await post({ model, messages: [{ role: 'user', content: 'hi' }] });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { param: string } }).error.param).toBe('model');
    }
    expect((await post({ model: 'o'.repeat(256), messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
    // The other endpoints too: a long name would otherwise become a routing key (a deployment) of any size.
    for (const [path, body] of [
      ['/v1/messages', { model: huge, max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }],
      ['/v1/embeddings', { model: 'n'.repeat(257), input: 'hi' }],
      ['/v1/responses', { model: 'n'.repeat(257), input: 'hi' }],
      ['/v1/messages/count_tokens', { model: 'n'.repeat(257), messages: [{ role: 'user', content: 'hi' }] }],
    ] as const) {
      const response = await fetch(`${running.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, path).toBe(400);
      expect(await response.text()).toContain("'model'");
    }
    const scrape = await fetch(`${running.url}/metrics`);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).not.toContain('mmmmmmmm');
    expect(text).not.toContain('n'.repeat(257));
  });

  it('keeps /metrics under 1 MB after hundreds of distinct model names, streamed and not', async () => {
    running = await startServer({
      config: { providers: [{ name: 'any', type: 'mock', models: ['*'], latencyMs: 0 }] },
      port: 0,
      logger: silentLogger,
    });
    for (let batch = 0; batch < 9; batch += 1) {
      await Promise.all(
        Array.from({ length: 30 }, (_, index) =>
          post({
            model: `${batch}-${index}-`.padEnd(40 + ((batch * 30 + index) % 200), 'z'),
            messages: [{ role: 'user', content: 'hi' }],
            stream: index % 2 === 0,
          }).then((response) => response.text()),
        ),
      );
    }
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
    expect(text).toContain('model="other"');
    expect((await fetch(`${running.url}/health`)).status).toBe(200);
  });

  it('keeps /metrics under 1 MB with 64-character provider names, failing providers and 800 distinct hostile model names on every endpoint', async () => {
    const providerName = (index: number) => `${index}-`.padEnd(64, 'p');
    running = await startServer({
      config: {
        server: { adminToken: 'admin-token' },
        router: {
          strategy: 'round_robin',
          healthCheck: { intervalMs: 0 },
          circuitBreaker: { consecutiveFailureLimit: 2, openTimeoutMs: 60_000 },
          retry: { sameProvider: 1, backoffMs: 0 },
        },
        providers: Array.from({ length: 4 }, (_, index) => ({
          name: providerName(index),
          type: 'mock' as const,
          models: ['*'],
          latencyMs: 0,
          // Half of them fail half the time: retries, fallbacks, circuit transitions and error statuses.
          ...(index % 2 === 1 ? { failureRate: 0.5, failWith: 500, seed: index } : {}),
        })),
      },
      port: 0,
      logger: silentLogger,
    });
    // Four more, added through the admin API.
    for (let index = 4; index < 8; index += 1) {
      const added = await fetch(`${running.url}/admin/providers`, {
        method: 'POST',
        headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
        body: JSON.stringify({ name: providerName(index), type: 'mock', models: ['*'], latencyMs: 0 }),
      });
      expect(added.status).toBe(201);
    }
    // Names at the label limit (64 ASCII bytes), escape-heavy, multi-byte, and up to the 256-character limit.
    const fillers = ['m', '"', '\\', '\n', 'é', '😀', '{', '='];
    const modelName = (index: number) =>
      `${index}-`.padEnd(index % 3 === 0 ? 64 : index % 3 === 1 ? 40 : 256, fillers[index % fillers.length]);
    const endpoints = ['/v1/chat/completions', '/v1/messages', '/v1/embeddings'];
    const send = (index: number) => {
      const model = modelName(index);
      const path = endpoints[index % endpoints.length]!;
      const body =
        path === '/v1/embeddings'
          ? { model, input: 'x' }
          : { model, max_tokens: 4, stream: index % 2 === 0, messages: [{ role: 'user', content: 'hi' }] };
      return fetch(`${running!.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((response) => response.text());
    };
    for (let batch = 0; batch < 32; batch += 1)
      await Promise.all(Array.from({ length: 25 }, (_, index) => send(batch * 25 + index)));

    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
    // Every model label fits the label budget as printed (escapes and UTF-8 bytes counted).
    for (const [, value] of text.matchAll(/model="((?:[^"\\]|\\.)*)"/g))
      expect(Buffer.byteLength(value!), value).toBeLessThanOrEqual(64);
    expect(text).toContain(`provider="${providerName(7)}"`);
    expect(text).toContain('model="other"');
    expect((await fetch(`${running.url}/health`)).status).toBe(200);
  }, 60_000);
});
