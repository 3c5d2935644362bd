import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Router } from '../router/router.ts';
import { scriptedAdapter } from '../router/test-support/scripted-adapter.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { GatewayError } from './openai-error.ts';
import { createRouterEventStream } from './router-event-stream.ts';

afterEach(() => {
  vi.useRealTimers();
});

async function readUntil(reader: ReadableStreamDefaultReader<string>, text: string): Promise<string> {
  let received = '';
  while (!received.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before '${text}'; got: ${received}`);
    received += value;
  }
  return received;
}

describe('createRouterEventStream', () => {
  it('sends a keep-alive comment every keepAliveMs, subscribes only while a stream is open, and ends streams on close', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const router = new Router();
    router.registerProvider(scriptedAdapter('primary'));
    const events = createRouterEventStream({ router, keepAliveMs: 15_000 });
    const app = new Hono<GatewayEnv>().get('/events', events.handler);
    app.onError((error) => new Response(null, { status: error instanceof GatewayError ? error.status : 500 }));

    const response = await app.request('/events');
    expect(response.status).toBe(200);
    expect(events.connections).toBe(1);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    await readUntil(reader, ': connected\n\n');

    vi.advanceTimersByTime(15_000);
    await readUntil(reader, ': keep-alive\n\n');

    router.resetCircuit('primary');
    router.recordResult('primary', { success: false, latencyMs: 5 });
    const text = await readUntil(reader, 'event: result\n');
    expect(text).toMatch(/^id: 1\nevent: result\ndata: \{"success":false,"latencyMs":5,"provider":"primary"/m);

    events.close();
    expect(events.connections).toBe(0);
    expect((await reader.read()).done).toBe(true);
    // New streams are refused once the server shuts down.
    expect((await app.request('/events')).status).toBe(503);
  });
});
