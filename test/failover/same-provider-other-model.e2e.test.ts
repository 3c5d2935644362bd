/**
 * Issue 11's fault table, one model failing at a provider that serves another: model A (`smart`,
 * upstream `gpt-4o`) answers 429 `retry-after: 30`, or 503s until its circuit opens; model B
 * (`gpt-4o-mini`) at the same provider is served at once, directly and as A's fallback, with no
 * 429 or 503 made by the gateway. The official `openai` client against the real gateway and a
 * scripted upstream on 127.0.0.1; the router's waits on a virtual clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from '../support/gateway-harness.ts';
import { userRequest } from '../support/gateway-harness.ts';
import { errorScript, type UpstreamCall, type UpstreamScript } from '../support/openai-upstream.ts';
import {
  answerPieces,
  healthyAnswer,
  modelsOf,
  startFailoverGateway,
  virtualTime,
} from '../support/failover-gateway.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** `gpt-4o` answers `failure`; any other model answers healthily. */
function modelAFails(failure: UpstreamScript) {
  return (call: UpstreamCall): UpstreamScript => (call.body?.model === 'gpt-4o' ? failure : healthyAnswer(call));
}

const A_AND_B = [{ name: 'smart', upstream: 'gpt-4o' }, 'gpt-4o-mini'];

describe('fault table: model A failing at a provider that also serves model B', () => {
  it('A answers 429 retry-after: 30: B at that provider served at once, directly and as the fallback; no gateway-made 429', async () => {
    const time = virtualTime();
    harness = await startFailoverGateway({ time, primaryModels: A_AND_B, backupModels: ['unrelated'] });
    const upstream = harness.upstreams.primary!;
    upstream.setDefault(modelAFails(errorScript(429, 'gpt-4o is rate limited', { 'retry-after': '30' })));

    const { data: viaFallback, response: first } = await harness.client.chat.completions
      .create(userRequest('smart'))
      .withResponse();
    expect(viaFallback.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
    expect(first.headers.get('x-switchboard-provider')).toBe('primary');
    expect(first.headers.get('x-switchboard-fallback-reason')).toBe('rate_limited');

    const { data: direct, response } = await harness.client.chat.completions
      .create(userRequest('gpt-4o-mini'))
      .withResponse();
    expect(direct.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
    expect(response.headers.get('x-switchboard-attempts')).toBe('1');

    const { data: again } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();
    expect(again.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
    expect(modelsOf(upstream.calls)).toEqual(['gpt-4o', 'gpt-4o-mini', 'gpt-4o-mini', 'gpt-4o-mini']);
    expect(time.waits).toEqual([]);
    expect(harness.running.router.circuitState('primary')).toBe('closed');
  });

  it('A 503s until its circuit opens: B at that provider served at once, directly and as the fallback; no gateway-made 503', async () => {
    const time = virtualTime();
    harness = await startFailoverGateway({
      time,
      primaryModels: A_AND_B,
      backupModels: ['unrelated'],
      router: { circuitBreaker: { consecutiveFailureLimit: 3 } },
    });
    const upstream = harness.upstreams.primary!;
    upstream.setDefault(modelAFails(errorScript(503, 'gpt-4o is overloaded')));

    for (let request = 0; request < 3; request += 1) {
      const served = await harness.client.chat.completions.create(userRequest('smart'));
      expect(served.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
    }
    expect(harness.running.router.circuitState('primary', 'smart')).toBe('open');
    expect(harness.running.router.circuitState('primary', 'gpt-4o-mini')).toBe('closed');
    expect(harness.running.router.circuitState('primary')).toBe('closed');
    const callsOfA = upstream.calls.filter((call) => call.body.model === 'gpt-4o').length;

    const waitsBefore = time.waits.length;
    const { response } = await harness.client.chat.completions.create(userRequest('gpt-4o-mini')).withResponse();
    expect(response.headers.get('x-switchboard-attempts')).toBe('1');
    const { data: viaFallback, response: fallback } = await harness.client.chat.completions
      .create(userRequest('smart'))
      .withResponse();
    expect(viaFallback.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
    expect(fallback.headers.get('x-switchboard-attempts')).toBe('1');
    expect(fallback.headers.get('x-switchboard-fallback-reason')).toBe('unavailable');
    expect(time.waits.length).toBe(waitsBefore);
    expect(upstream.calls.filter((call) => call.body.model === 'gpt-4o').length).toBe(callsOfA);
    expect((await fetch(`${harness.url}/ready`)).status).toBe(200);
  });

  it('A answers 429 retry-after: 30 with no fallback: A gets its 429, B is served at once', async () => {
    harness = await startFailoverGateway({
      primaryModels: A_AND_B,
      backupModels: ['unrelated'],
      router: { fallbacks: {} },
    });
    harness.upstreams.primary!.setDefault(
      modelAFails(errorScript(429, 'gpt-4o is rate limited', { 'retry-after': '30' })),
    );
    const limited = await harness.client.chat.completions
      .create(userRequest('smart'))
      .catch((caught: unknown) => caught);
    expect(limited).toMatchObject({ status: 429 });
    const served = await harness.client.chat.completions.create(userRequest('gpt-4o-mini'));
    expect(served.choices[0]?.message.content).toBe(answerPieces('gpt-4o-mini').join(''));
  });
});
