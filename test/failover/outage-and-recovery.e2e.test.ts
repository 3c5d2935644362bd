/**
 * Issue 11's fault table, the outage row: the primary answers 503 (and fails its health probe)
 * for 60 s, then is healthy; a request every 4 s. Every request is served (by the fallback while
 * the primary is down), the primary's circuit opens, is probed and closes, and traffic is back on
 * the primary within 30 s of its recovery. The official `openai` client against the real gateway
 * and scripted upstreams on 127.0.0.1; the 2 minutes run on a virtual clock, with the health
 * checker's rounds (every 8 s) run by the test at their virtual times.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from '../support/gateway-harness.ts';
import { userRequest } from '../support/gateway-harness.ts';
import { errorScript } from '../support/openai-upstream.ts';
import { answerPieces, healthyAnswer, startFailoverGateway, virtualTime } from '../support/failover-gateway.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const OUTAGE_MS = 60_000;
const REQUEST_EVERY_MS = 4_000;
const HEALTH_CHECK_EVERY_MS = 8_000;
const RUN_MS = 120_000;

describe('fault table: outage and recovery', () => {
  it('primary 503 for 60 s, then healthy; a request every 4 s: every request served, the circuit opens, probes, closes, traffic back within 30 s', async () => {
    const time = virtualTime();
    harness = await startFailoverGateway({ time });
    const router = harness.running.router;
    const primary = harness.upstreams.primary!;
    const transitions: string[] = [];
    router.on('circuitStateChange', (change) => {
      if (change.provider === 'primary')
        transitions.push(`${change.model}:${change.from}→${change.to} (${change.reason})`);
    });

    const start = time.now();
    const served: Array<{ at: number; provider: string | null }> = [];
    for (let at = 0; at < RUN_MS; at += REQUEST_EVERY_MS) {
      const down = at < OUTAGE_MS;
      primary.setDefault(down ? errorScript(503, 'primary is down') : healthyAnswer);
      primary.setHealthy(!down);
      time.advance(start + at - time.now());
      if (at % HEALTH_CHECK_EVERY_MS === 0) await router.checkHealth();

      const { data, response } = await harness.client.chat.completions.create(userRequest('smart')).withResponse();
      const provider = response.headers.get('x-switchboard-provider');
      expect(data.choices[0]?.message.content).toBe(
        answerPieces(provider === 'primary' ? 'gpt-4o' : 'gpt-4o-mini').join(''),
      );
      served.push({ at, provider });
    }

    expect(served.slice(0, OUTAGE_MS / REQUEST_EVERY_MS).every((entry) => entry.provider === 'backup')).toBe(true);
    expect(transitions).toContain('smart:closed→open (failure_rate_or_consecutive_failures)');
    expect(transitions).toContain('smart:open→half_open (health_probe_succeeded)');
    expect(transitions.at(-1)).toBe('smart:half_open→closed (half_open_successes_reached)');
    const back = served.find((entry) => entry.at >= OUTAGE_MS && entry.provider === 'primary');
    expect(back).toBeDefined();
    expect(back!.at - OUTAGE_MS).toBeLessThanOrEqual(30_000);
    expect(served.filter((entry) => entry.at >= back!.at).every((entry) => entry.provider === 'primary')).toBe(true);
    expect(router.circuitState('primary', 'smart')).toBe('closed');
  });
});
