/**
 * Issue 11's fault table, connection rows: a reset before the response headers, and an upstream
 * that never answers. The official `openai` client against the real gateway and scripted
 * upstreams on 127.0.0.1; the silent upstream is left by the gateway's own 1 s attempt timeout
 * (a real socket timer), which the test's 5 s limit bounds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from '../support/gateway-harness.ts';
import { userRequest } from '../support/gateway-harness.ts';
import { answerPieces, modelsOf, readStream, startFailoverGateway } from '../support/failover-gateway.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('fault table: connections', () => {
  it('connection reset before headers: the answer (one same-provider retry)', async () => {
    harness = await startFailoverGateway();
    harness.upstreams.primary!.enqueue({ kind: 'reset' });

    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();

    expect(data.choices[0]?.message.content).toBe(answerPieces('gpt-4o').join(''));
    expect(modelsOf(harness.upstreams.primary!.calls)).toEqual(['gpt-4o', 'gpt-4o']);
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBeNull();
  });

  it("connection reset before headers on every try: the fallback model's answer", async () => {
    harness = await startFailoverGateway();
    harness.upstreams.primary!.setDefault({ kind: 'reset' });

    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();

    expect(data.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
    expect(response.headers.get('x-switchboard-fallback-reason')).toBe('connection_error');
    expect(Number(response.headers.get('x-switchboard-attempts'))).toBeLessThanOrEqual(3);
  });

  it('connection reset before headers of a stream: the whole answer', async () => {
    harness = await startFailoverGateway();
    harness.upstreams.primary!.enqueue({ kind: 'reset' });
    const stream = await harness.client.chat.completions.create({ ...userRequest('smart'), stream: true });
    const { text, error } = await readStream(stream);
    expect(error).toBeUndefined();
    expect(text).toBe(answerPieces('gpt-4o').join(''));
  });

  it("no response at all: the fallback's answer within the deadline; the silent provider is not retried", async () => {
    harness = await startFailoverGateway();
    harness.upstreams.primary!.setDefault({ kind: 'hang' });

    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();

    expect(data.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
    expect(harness.upstreams.primary!.calls).toHaveLength(1);
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBe('timeout');
    const silent = harness.upstreams.primary!.calls[0]!;
    await silent.socketClosed;
    expect(silent.closedEarly).toBe(true);
  });

  it('no response at all, with a second provider of the same model: that provider answers; the silent one is tried once', async () => {
    harness = await startFailoverGateway({ backupModels: ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }] });
    harness.upstreams.primary!.setDefault({ kind: 'hang' });

    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();

    expect(data.model).toBe('gpt-4o');
    expect(response.headers.get('x-switchboard-provider')).toBe('backup');
    expect(harness.upstreams.primary!.calls).toHaveLength(1);
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
  });

  it("no response at all to a stream: the fallback's whole answer; the silent provider is not retried", async () => {
    harness = await startFailoverGateway();
    harness.upstreams.primary!.setDefault({ kind: 'hang' });
    const { data: stream, response } = await harness.client.chat.completions
      .create({ ...userRequest('smart'), stream: true })
      .withResponse();
    const { text, error } = await readStream(stream);
    expect(error).toBeUndefined();
    expect(text).toBe(answerPieces('gpt-4o-mini').join(''));
    expect(response.headers.get('x-switchboard-model')).toBe('gpt-4o-mini');
    expect(harness.upstreams.primary!.calls).toHaveLength(1);
  });

  it('no response at all and no fallback: a clean 504 within the deadline, the silent provider tried once', async () => {
    harness = await startFailoverGateway({ router: { fallbacks: {} } });
    harness.upstreams.primary!.setDefault({ kind: 'hang' });
    const error = await harness.client.chat.completions.create(userRequest('smart')).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 504 });
    expect(harness.upstreams.primary!.calls).toHaveLength(1);
  });
});
