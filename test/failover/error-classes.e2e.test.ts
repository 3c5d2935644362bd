/**
 * Issue 11's fault table, error-class rows: a 400 `context_length_exceeded` goes to the
 * context-window fallback only; a 400 `content_policy_violation` goes back to the client with the
 * provider's code unless a content-policy fallback is configured. The official `openai` client
 * against the real gateway and scripted upstreams on 127.0.0.1.
 */
import { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from '../support/gateway-harness.ts';
import { userRequest } from '../support/gateway-harness.ts';
import type { UpstreamScript } from '../support/openai-upstream.ts';
import { answerPieces, modelsOf, readStream, startFailoverGateway } from '../support/failover-gateway.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const CONTEXT_LENGTH: UpstreamScript = {
  kind: 'json',
  status: 400,
  body: {
    error: {
      message:
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    },
  },
};

const CONTENT_POLICY: UpstreamScript = {
  kind: 'json',
  status: 400,
  body: {
    error: {
      message: 'Your request was rejected as a result of our safety system.',
      type: 'invalid_request_error',
      param: null,
      code: 'content_policy_violation',
    },
  },
};

/** The backup also serves `long`, a long-context model (upstream `gpt-4o-long`). */
const BACKUP_WITH_LONG = ['gpt-4o-mini', { name: 'long', upstream: 'gpt-4o-long' }];

describe('fault table: error classes', () => {
  it("400 context_length_exceeded: the context-window fallback's answer; the same model tried once only", async () => {
    harness = await startFailoverGateway({
      backupModels: BACKUP_WITH_LONG,
      router: { contextWindowFallbacks: { smart: ['long'] } },
    });
    harness.upstreams.primary!.setDefault(CONTEXT_LENGTH);

    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();

    expect(data.choices[0]?.message.content).toBe(answerPieces('gpt-4o-long').join(''));
    expect(modelsOf(harness.upstreams.primary!.calls)).toEqual(['gpt-4o']);
    expect(modelsOf(harness.upstreams.backup!.calls)).toEqual(['gpt-4o-long']);
    expect(response.headers.get('x-switchboard-model')).toBe('long');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBe('context_length_exceeded');
  });

  it("400 context_length_exceeded on a stream: the context-window fallback's whole answer", async () => {
    harness = await startFailoverGateway({
      backupModels: BACKUP_WITH_LONG,
      router: { contextWindowFallbacks: { smart: ['long'] } },
    });
    harness.upstreams.primary!.setDefault(CONTEXT_LENGTH);
    const stream = await harness.client.chat.completions.create({ ...userRequest('smart'), stream: true });
    expect(await readStream(stream)).toEqual({ text: answerPieces('gpt-4o-long').join(''), error: undefined });
    expect(modelsOf(harness.upstreams.primary!.calls)).toEqual(['gpt-4o']);
  });

  it('400 context_length_exceeded without a context-window fallback: that 400, the ordinary fallbacks not tried', async () => {
    harness = await startFailoverGateway();
    harness.upstreams.primary!.setDefault(CONTEXT_LENGTH);
    const error = await harness.client.chat.completions.create(userRequest('smart')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(400);
    expect((error as APIError).code).toBe('context_length_exceeded');
    expect(harness.upstreams.primary!.calls).toHaveLength(1);
    expect(harness.upstreams.backup!.calls).toHaveLength(0);
  });

  it("400 content_policy_violation: that 400 with the provider's code; no other model tried", async () => {
    harness = await startFailoverGateway({
      backupModels: BACKUP_WITH_LONG,
      router: { fallbacks: { '*': ['gpt-4o-mini'] } },
    });
    harness.upstreams.primary!.setDefault(CONTENT_POLICY);

    const error = await harness.client.chat.completions.create(userRequest('smart')).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(400);
    expect((error as APIError).code).toBe('content_policy_violation');
    expect((error as APIError).message).toContain('safety system');
    expect(harness.upstreams.primary!.calls).toHaveLength(1);
    expect(harness.upstreams.backup!.calls).toHaveLength(0);
    expect(harness.running.router.circuitState('primary', 'smart')).toBe('closed');
  });

  it('400 content_policy_violation with a content-policy fallback configured: that fallback answers', async () => {
    harness = await startFailoverGateway({ router: { contentPolicyFallbacks: { smart: ['gpt-4o-mini'] } } });
    harness.upstreams.primary!.setDefault(CONTENT_POLICY);
    const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();
    expect(data.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
    expect(harness.upstreams.primary!.calls).toHaveLength(1);
    expect(response.headers.get('x-switchboard-fallback-reason')).toBe('content_policy');
  });
});
