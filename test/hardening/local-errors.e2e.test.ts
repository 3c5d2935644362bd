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

  it('answers Messages and Embeddings bodies the translation cannot read, or nested too deep, with 400 and no counted failure', async () => {
    // Found by the request-body fuzz tests: `tools: [null]` crashed the Messages → Chat translation (500).
    harness = await startHarness({
      upstreams: [{ name: 'primary', models: ['claude-sonnet-4-5', 'text-embedding-3-small'] }],
      router: { circuitBreaker: { consecutiveFailureLimit: 1 } },
    });
    const messages = [{ role: 'user', content: 'hi' }];
    const cases: Array<[string, Record<string, unknown>, string | null]> = [
      ['/v1/messages', { tools: [null] }, 'tools.0'],
      ['/v1/messages', { system: [null] }, 'system.0'],
      ['/v1/messages', { messages: [{ role: 'user', content: [7] }] }, 'messages.0.content.0'],
      [
        '/v1/messages',
        { messages: [{ role: 'user', content: [{ type: 'tool_result', content: [null] }] }] },
        'messages.0.content.0.content.0',
      ],
      ['/v1/messages', { tool_choice: null }, 'tool_choice'],
      ['/v1/messages', { extra: 'deep' }, null],
      ['/v1/embeddings', { extra: 'deep' }, null],
    ];
    for (const [path, fields, param] of cases) {
      const model = path === '/v1/embeddings' ? 'text-embedding-3-small' : 'claude-sonnet-4-5';
      const base = path === '/v1/embeddings' ? { model, input: 'hi' } : { model, max_tokens: 8, messages };
      // The deep case is written by hand: JSON.stringify of it would overflow this test's stack.
      const body =
        'extra' in fields
          ? `${JSON.stringify(base).slice(0, -1)},"extra":${nested(5_000)}}`
          : JSON.stringify({ ...base, ...fields });
      const response = await fetch(`${harness.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(response.status, `${path} ${body.slice(0, 120)}`).toBe(400);
      // Anthropic's error shape has no `param`: the message names the field.
      const error = ((await response.json()) as { error: { message: string } }).error;
      if (param !== null) expect(error.message).toContain(param);
    }
    expect(harness.upstreams.primary!.calls).toHaveLength(0);
    expect(harness.running.router.circuitState('primary')).toBe('closed');
  });
});
