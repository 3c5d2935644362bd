import { afterEach, describe, expect, it } from 'vitest';
import type { RequestLogRecord } from '../src/gateway/request-log.ts';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { chunkBody } from './support/openai-upstream.ts';
import { readSse } from './support/sse-reader.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('shutdown', () => {
  it('a stream still running when the drain limit ends gets a server_shutting_down error event, logged as the server’s doing', async () => {
    const logs: RequestLogRecord[] = [];
    harness = await startHarness({
      upstreams: [{ name: 'primary' }],
      bootstrap: { drainTimeoutMs: 300, logger: (record) => logs.push(record) },
    });
    harness.upstreams.primary!.enqueue({ kind: 'stream', steps: [{ chunk: chunkBody('Hel') }], then: 'hang' });
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...userRequest(), stream: true }),
    });
    expect(response.status).toBe(200);
    const events = readSse(response);
    const first = await events.next();
    expect(JSON.parse(first.data).choices[0].delta.content).toBe('Hel');

    const closing = harness.running.close();
    const cut = await events.next(() => true, 5_000);
    expect(JSON.parse(cut.data)).toEqual({
      error: {
        message: 'The server is shutting down; the stream was cut.',
        type: 'server_error',
        param: null,
        code: 'server_shutting_down',
      },
    });
    expect(await events.ended).toBe(true);
    expect(events.messages.some((message) => message.data === '[DONE]')).toBe(false);
    await closing;
    // The upstream call was given up, not left hanging.
    await harness.upstreams.primary!.calls[0]!.socketClosed;

    await new Promise((resolve) => setImmediate(resolve));
    const line = logs.find((record) => record.msg === 'request' && record.path === '/v1/chat/completions');
    expect(line).toMatchObject({ status: 503, errorCode: 'server_shutting_down', stream: true });
  });

  it('open admin event streams end as the shutdown begins, without waiting for the drain limit', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }],
      server: { adminToken: 'admin-secret' },
      bootstrap: { drainTimeoutMs: 60_000 },
    });
    const response = await fetch(`${harness.url}/admin/events`, { headers: { authorization: 'Bearer admin-secret' } });
    const events = readSse(response);
    await events.next((message) => message.comment === 'connected');
    // With the 60 s drain limit, close() only resolves this soon when the event stream ended by itself.
    await harness.running.close();
    expect(await events.ended).toBe(true);
  });
});
