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
});
