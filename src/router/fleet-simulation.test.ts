/**
 * A simulated fleet: 10 routers on a fake clock, a provider going down for 10 minutes while
 * requests arrive at random replicas. Linked through one shared in-memory backend, the fleet
 * opens the circuit everywhere as soon as one replica opens it and probes the dead provider
 * once per open timeout fleet-wide; 10 independent routers each discover the outage and probe
 * on their own. The numbers are quoted in docs/scale-out.md.
 */
import { describe, expect, it } from 'vitest';
import { InProcessStateHub } from '../state/in-process-state.ts';
import { linkRouterToFleet } from './fleet-link.ts';
import { Router } from './router.ts';
import { manualClock, scriptedAdapter } from './test-support/scripted-adapter.ts';

const REPLICAS = 10;
const STEP_MS = 50;
const OUTAGE_MS = 10 * 60_000;

/** A seeded uniform random source (mulberry32), so both fleets see the same request sequence. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the outage; returns requests that reached the dead provider before every replica stopped sending, and in all. */
async function simulate(shared: boolean): Promise<{ untilAllOpen: number; total: number }> {
  const time = manualClock(1_700_000_000_000);
  const hub = new InProcessStateHub({ clock: time.clock });
  const routers = Array.from({ length: REPLICAS }, (_, index) => {
    const backend = shared ? hub.connect(`replica-${index}`) : undefined;
    const router = new Router({
      strategy: 'round_robin',
      clock: time.clock,
      random: seeded(index + 1),
      ...(backend !== undefined ? { probePermits: backend } : {}),
    });
    router.registerProvider(scriptedAdapter('dead', ['m']));
    router.registerProvider(scriptedAdapter('backup', ['m']));
    if (backend !== undefined) linkRouterToFleet(router, backend);
    return router;
  });
  const pick = seeded(42);
  let total = 0;
  let untilAllOpen: number | undefined;
  for (let elapsed = 0; elapsed < OUTAGE_MS; elapsed += STEP_MS) {
    time.advance(STEP_MS);
    const router = routers[Math.floor(pick() * REPLICAS)]!;
    const lease = router.lease('m');
    if (lease.adapter.name === 'dead') {
      total += 1;
      lease.record({ success: false, latencyMs: 5 });
    } else lease.record({ success: true, latencyMs: 5 });
    // Shared events and permits arrive on the next microtasks, as from Redis in the next milliseconds.
    await new Promise((resolve) => setImmediate(resolve));
    if (untilAllOpen === undefined && routers.every((each) => each.circuitState('dead', 'm') === 'open'))
      untilAllOpen = total;
  }
  return { untilAllOpen: untilAllOpen ?? total, total };
}

describe('a fleet of 10 routers during a provider outage', () => {
  it('sends the dead provider far fewer requests when the routers share state than when each is on its own', async () => {
    const independent = await simulate(false);
    const fleet = await simulate(true);
    console.log(
      `requests reaching the dead provider — 10 independent routers: ${independent.untilAllOpen} until all open, ${independent.total} in 10 min; ` +
        `10 routers sharing state: ${fleet.untilAllOpen} until all open, ${fleet.total} in 10 min`,
    );
    // Each independent router needs its own 5 consecutive failures, then probes on its own back-off
    // (30 s, 60 s, … : 5 probes each in 10 min). The fleet stops when the first router opens (the
    // others had 2–4 failures each by then) and sends one probe per open timeout fleet-wide.
    expect(independent).toEqual({ untilAllOpen: 50, total: 100 });
    expect(fleet).toEqual({ untilAllOpen: 30, total: 35 });
  });
});
