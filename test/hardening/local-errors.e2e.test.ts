/**
 * Issue 12, "Why" 1: nothing that fails before a byte reaches the upstream is a provider failure.
 * Through real sockets: the gateway on an ephemeral port, scripted upstreams behind real `openai` adapters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderAdapter } from '../../src/contract/provider-adapter.ts';
import { createProvider } from '../../providers/index.ts';
import { startHarness, userRequest, type Harness } from '../support/gateway-harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function post(url: string, body: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

describe('local failures never count against a provider', () => {
  it('answers a body nested ~6,000 deep with `"stream": null` with 400, and every circuit stays closed', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      router: { maxAttempts: 2, circuitBreaker: { consecutiveFailureLimit: 2 } },
    });
    const hostile = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":null,"extra":${nested(6_000)}}`;
    for (let index = 0; index < 8; index += 1) {
      const response = await post(harness.url, hostile);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { type: string; code: string } };
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'nesting_too_deep' });
    }
    expect(harness.upstreams.primary!.calls).toHaveLength(0);
    expect(harness.upstreams.secondary!.calls).toHaveLength(0);
    expect(harness.running.router.circuitState('primary')).toBe('closed');
    expect(harness.running.router.circuitState('secondary')).toBe('closed');
    expect((await fetch(`${harness.url}/ready`)).status).toBe(200);
    const completion = await harness.client.chat.completions.create(userRequest());
    expect(completion.choices[0]?.message.content).toMatch(/^hello from/);
  });

  it('forwards a body with `"stream": null` and deep unknown fields as received, only `stream` set', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const text = `{ "model":"gpt-4o-mini", "messages":[{"role":"user","content":"h\\u00e9llo"}], "stream":null, "extra":${nested(100)}, "n2": 1.50 }`;
    const response = await post(harness.url, text);
    expect(response.status).toBe(200);
    expect(harness.upstreams.primary!.calls[0]!.rawBody).toBe(text.replace('"stream":null', '"stream":false'));
  });

  it('ends a request whose adapter fails inside the process with 500, without trying others or opening circuits', async () => {
    // An adapter with a bug before it sends anything: the router must not blame the provider for it.
    const buggy = (entry: Parameters<typeof createProvider>[0]): ProviderAdapter => {
      const adapter = createProvider(entry);
      return {
        ...adapter,
        name: adapter.name,
        type: adapter.type,
        models: adapter.models,
        chat(request, options) {
          if ((request as { explode?: boolean }).explode === true) throw new TypeError('a bug in the adapter');
          return adapter.chat(request, options);
        },
        stream: (request, options) => adapter.stream(request, options),
        close: () => adapter.close?.() ?? Promise.resolve(),
      };
    };
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      router: { maxAttempts: 2, circuitBreaker: { consecutiveFailureLimit: 2 } },
      bootstrap: { createProvider: buggy },
    });
    for (let index = 0; index < 6; index += 1) {
      const response = await post(harness.url, JSON.stringify({ ...userRequest(), explode: true }));
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('internal_error');
      expect(response.headers.get('x-switchboard-attempts')).toBe('1');
    }
    expect(harness.running.router.circuitState('primary')).toBe('closed');
    expect(harness.running.router.circuitState('secondary')).toBe('closed');
    const health = harness.running.router.healthStatus();
    expect(health.primary!.failureRate).toBe(0);
    expect(health.secondary!.failureRate).toBe(0);
    expect((await post(harness.url, JSON.stringify(userRequest()))).status).toBe(200);
  });
});
