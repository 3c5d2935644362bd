import { afterEach, describe, expect, it } from 'vitest';
import { fakeClock, startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { chunkBody, completionBody, errorScript, streamScript } from './support/openai-upstream.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const THREE = [{ name: 'alpha' }, { name: 'beta' }, { name: 'gamma' }];

/** The provider that served each request of `sessions` sessions sent through the `x-session-id` header. */
async function servedBy(running: Harness, sessions: readonly string[]): Promise<Map<string, string>> {
  const served = new Map<string, string>();
  for (const session of sessions) {
    const { response } = await running.client.chat.completions
      .create(userRequest(), { headers: { 'x-session-id': session } })
      .withResponse();
    served.set(session, response.headers.get('x-switchboard-provider') ?? '');
  }
  return served;
}

describe('router.affinity through the gateway', () => {
  it('keeps each session on one provider while healthy, and moves only the sessions of a provider whose circuit opens', async () => {
    harness = await startHarness({
      upstreams: THREE,
      router: {
        affinity: { header: 'x-session-id', ttlMs: 3_600_000 },
        retry: { sameProvider: 0 },
        circuitBreaker: { consecutiveFailureLimit: 1 },
      },
    });
    const sessions = Array.from({ length: 12 }, (_, index) => `session-${index}`);
    const rounds: Array<Map<string, string>> = [];
    for (let round = 0; round < 4; round += 1) rounds.push(await servedBy(harness, sessions));
    for (const session of sessions) {
      const providers = rounds.map((round) => round.get(session));
      const home = rounds[0]!.get(session);
      // ≥ 95 % of a session's requests on one provider (here all of them).
      expect(providers.filter((provider) => provider === home).length / providers.length).toBeGreaterThanOrEqual(0.95);
    }
    const homes = rounds[0]!;
    expect(new Set(homes.values()).size).toBe(3);

    // beta fails: the first request that reaches it falls back, and its circuit opens.
    harness.upstreams.beta!.setDefault(errorScript(500));
    const during = await servedBy(harness, sessions);
    for (const session of sessions) {
      if (homes.get(session) === 'beta') expect(during.get(session)).not.toBe('beta');
      else expect(during.get(session)).toBe(homes.get(session));
    }
    expect(harness.upstreams.beta!.calls.filter((call) => call.closedEarly)).toHaveLength(0);
  });

  it('reads the session from `user` when no header names one, and spreads requests without a session by the strategy', async () => {
    harness = await startHarness({ upstreams: THREE, router: { affinity: {} } });
    const served = new Set<string>();
    for (let index = 0; index < 6; index += 1) {
      const { response } = await harness.client.chat.completions
        .create({ ...userRequest(), user: 'end-user-7' })
        .withResponse();
      served.add(response.headers.get('x-switchboard-provider') ?? '');
    }
    expect(served.size).toBe(1);
    const spread = new Set<string>();
    for (let index = 0; index < 3; index += 1) {
      const { response } = await harness.client.chat.completions.create(userRequest()).withResponse();
      spread.add(response.headers.get('x-switchboard-provider') ?? '');
    }
    expect(spread.size).toBe(3);
  });

  it('reads Anthropic metadata.user_id on /v1/messages', async () => {
    harness = await startHarness({ upstreams: THREE, router: { affinity: {} } });
    const served = new Set<string>();
    for (let index = 0; index < 5; index += 1) {
      const response = await fetch(`${harness.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          max_tokens: 16,
          metadata: { user_id: 'anthropic-user' },
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      expect(response.status).toBe(200);
      served.add(response.headers.get('x-switchboard-provider') ?? '');
    }
    expect(served.size).toBe(1);
  });
});

describe('router.hedge through the gateway', () => {
  it('starts one extra attempt elsewhere after the delay; the loser is cancelled and its upstream socket closes', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'slow' }, { name: 'quick' }],
      router: { hedge: { afterMs: 150, max: 1 } },
    });
    harness.upstreams.slow!.enqueue({ kind: 'hang' });
    harness.upstreams.quick!.enqueue({ kind: 'json', body: completionBody('hedged answer') });
    const { data, response } = await harness.client.chat.completions.create(userRequest()).withResponse();
    expect(data.choices[0]?.message.content).toBe('hedged answer');
    expect(response.headers.get('x-switchboard-provider')).toBe('quick');
    expect(response.headers.get('x-switchboard-attempts')).toBe('2');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBe('hedged');
    const loser = harness.upstreams.slow!.calls[0]!;
    await loser.socketClosed;
    expect(loser.closedEarly).toBe(true);
    expect(harness.upstreams.quick!.calls).toHaveLength(1);

    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain(
      'switchboard_provider_attempts_total{provider="slow",model="gpt-4o-mini",kind="first"} 1',
    );
    expect(metrics).toContain(
      'switchboard_provider_attempts_total{provider="quick",model="gpt-4o-mini",kind="hedge"} 1',
    );
  });

  it('hedges a stream that has no first token yet, and the client gets the winner whole', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'slow' }, { name: 'quick' }],
      router: { hedge: { afterMs: 150, max: 1 } },
    });
    // A role chunk is no first token: the slow stream is still hedged.
    harness.upstreams.slow!.enqueue({
      kind: 'stream',
      steps: [
        { chunk: { ...chunkBody(null), choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] } },
      ],
      then: 'hang',
    });
    harness.upstreams.quick!.enqueue(streamScript(['from ', 'quick']));
    const stream = await harness.client.chat.completions.create({ ...userRequest(), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('from quick');
    const loser = harness.upstreams.slow!.calls[0]!;
    await loser.socketClosed;
    expect(loser.closedEarly).toBe(true);
  });

  it('never hedges a request whose first token came in time', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'first' }, { name: 'second' }],
      router: { hedge: { afterMs: 5_000, max: 1 } },
    });
    harness.upstreams.first!.enqueue(streamScript(['on ', 'time'], { delayMs: 20 }));
    const stream = await harness.client.chat.completions.create({ ...userRequest(), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('on time');
    const { response } = await harness.client.chat.completions.create(userRequest()).withResponse();
    expect(response.headers.get('x-switchboard-attempts')).toBe('1');
    expect(harness.upstreams.first!.calls).toHaveLength(1);
    expect(harness.upstreams.second!.calls).toHaveLength(1);
    expect(harness.upstreams.first!.calls[0]!.closedEarly).toBe(false);
  });
});

describe('router.retryBudget through the gateway', () => {
  it('caps retries and fallbacks during an outage: beyond the budget a failed request fails fast', async () => {
    const clock = fakeClock();
    const outage = async (retryBudget: { ratio: number; minPerSecond: number } | undefined) => {
      const running = await startHarness({
        upstreams: THREE,
        router: {
          ...(retryBudget !== undefined ? { retryBudget } : {}),
          retry: { sameProvider: 1, backoffMs: 0 },
          circuitBreaker: { consecutiveFailureLimit: 1_000, failureRateThreshold: 1 },
        },
        bootstrap: { clock: clock.now },
      });
      try {
        for (const upstream of Object.values(running.upstreams)) upstream.setDefault(errorScript(500));
        for (let index = 0; index < 20; index += 1) {
          await expect(running.client.chat.completions.create(userRequest())).rejects.toMatchObject({ status: 500 });
          clock.advance(100);
        }
        return Object.values(running.upstreams).reduce((sum, upstream) => sum + upstream.calls.length, 0);
      } finally {
        await running.close();
      }
    };
    // Without a budget each of the 20 requests makes 3 attempts; with one, 20 first attempts and 1 × 10 s of extras.
    expect(await outage(undefined)).toBe(60);
    expect(await outage({ ratio: 0.2, minPerSecond: 1 })).toBe(20 + 10);
  });
});
