import { createAdaptorServer } from '@hono/node-server';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('writing straight to the Node response', () => {
  it('still works when another @hono/node-server was created before the gateway modules loaded', async () => {
    createAdaptorServer({ fetch: () => new Response('other') });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { startServer } = await import('../bootstrap.ts');
    const { parseConfig } = await import('../src/config/load-config.ts');
    const config = parseConfig(
      { router: { healthCheck: { intervalMs: 0 } }, providers: [{ name: 'mock', type: 'mock', models: ['*'] }] },
      { env: {} },
    );
    const running = await startServer({ config, port: 0, logger: () => {} });
    try {
      for (const stream of [false, true]) {
        const response = await fetch(`${running.url}/v1/chat/completions`, {
          method: 'POST',
          body: JSON.stringify({ model: 'any', stream, messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-hono-already-sent')).toBeNull();
        expect(await response.text()).toContain('Echo:');
      }
      expect(errors).not.toHaveBeenCalled();
    } finally {
      await running.close();
    }
  });
});
