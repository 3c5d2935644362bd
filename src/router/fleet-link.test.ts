import { describe, expect, it } from 'vitest';
import { InProcessStateHub } from '../state/in-process-state.ts';
import type { SharedStateEvent } from '../state/shared-state.ts';
import { linkRouterToFleet } from './fleet-link.ts';
import { Router } from './router.ts';
import { manualClock, scriptedAdapter } from './test-support/scripted-adapter.ts';
import type { CircuitStateChangeEvent } from './types.ts';

const settle = () => new Promise((resolve) => setImmediate(resolve));

function fleet(size: number, circuitBreaker = { consecutiveFailureLimit: 2, openTimeoutMs: 1_000 }) {
  const time = manualClock(1_700_000_000_000);
  const hub = new InProcessStateHub({ clock: time.clock });
  const observer = hub.connect('observer');
  const published: SharedStateEvent[] = [];
  observer.subscribe((event) => published.push(event));
  const members = Array.from({ length: size }, (_, index) => {
    const backend = hub.connect(`replica-${index}`);
    const router = new Router({ clock: time.clock, circuitBreaker, probePermits: backend });
    router.registerProvider(scriptedAdapter('p', ['m']));
    const link = linkRouterToFleet(router, backend);
    const changes: CircuitStateChangeEvent[] = [];
    router.on('circuitStateChange', (event) => changes.push(event));
    return { router, link, changes };
  });
  return { time, members, published };
}

describe('linkRouterToFleet', () => {
  it('applies a transition on every other router once, marked as the fleet’s, and never publishes it back', async () => {
    const { members, published } = fleet(3);
    const [first, second, third] = members;
    first!.router.recordResult('p', { model: 'm', success: false });
    first!.router.recordResult('p', { model: 'm', success: false });
    await settle();

    expect(published.filter((event) => event.type === 'circuit')).toHaveLength(1);
    for (const member of [second!, third!]) {
      expect(member.router.circuitState('p', 'm')).toBe('open');
      expect(member.changes).toMatchObject([{ from: 'closed', to: 'open', reason: 'fleet_state', origin: 'fleet' }]);
    }
    expect(first!.changes).toMatchObject([{ to: 'open', reason: 'failure_rate_or_consecutive_failures' }]);
    expect(first!.changes[0]!.origin).toBeUndefined();
  });

  it('lets one router of the fleet probe a half-open circuit at a time (halfOpenMaxProbes 1)', async () => {
    const { time, members } = fleet(3);
    members[0]!.router.recordResult('p', { model: 'm', success: false });
    members[0]!.router.recordResult('p', { model: 'm', success: false });
    await settle();
    time.advance(1_000);
    // Each router sees half-open and asks for the fleet's one permit; selection does not wait.
    for (const member of members) expect(() => member.router.lease('m')).toThrow();
    await settle();
    const leases = members.map((member) => {
      try {
        return member.router.lease('m');
      } catch {
        return undefined;
      }
    });
    expect(leases.filter((lease) => lease !== undefined)).toHaveLength(1);
  });

  it('shares 429 cool-downs and operator switches', async () => {
    const { time, members } = fleet(2);
    const [first, second] = members;
    first!.router.recordResult('p', { model: 'm', success: false, rateLimited: true, retryAfterMs: 5_000 });
    first!.link.publishAdmin({ type: 'admin', action: 'disable', provider: 'p' });
    await settle();
    expect(second!.router.healthStatus().p).toMatchObject({
      enabled: false,
      deployments: { m: { coolingDownUntil: time.clock() + 5_000 } },
    });
  });
});
