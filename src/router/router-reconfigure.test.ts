import { describe, expect, it } from 'vitest';
import { ConfigurationError } from './errors.ts';
import { Router } from './router.ts';
import { scriptedAdapter } from './test-support/scripted-adapter.ts';
import type { ReconfiguredEvent } from './types.ts';

function openCircuit(router: Router, name: string): void {
  for (let index = 0; index < 5; index += 1) router.recordResult(name, { success: false, latencyMs: 10 });
  expect(router.circuitState(name)).toBe('open');
}

describe('Router.reconfigure', () => {
  it('keeps a provider given with its adapter and models, rebuilds a changed one, adds and removes', () => {
    const router = new Router({ strategy: 'round_robin' });
    const kept = scriptedAdapter('kept', ['gpt-4o']);
    const changed = scriptedAdapter('changed', ['gpt-4o']);
    router.registerProvider(kept);
    router.registerProvider(changed);
    router.registerProvider(scriptedAdapter('gone', ['gpt-4o']));
    openCircuit(router, 'kept');
    openCircuit(router, 'changed');
    router.setEnabled('kept', false);
    const events: ReconfiguredEvent[] = [];
    router.on('reconfigured', (event) => events.push(event));

    const changes = router.reconfigure({
      providers: [
        { adapter: scriptedAdapter('added', ['gpt-4o']) },
        { adapter: kept, options: { weight: 4 } },
        { adapter: changed, options: { models: ['gpt-4o', 'gpt-4o-mini'] } },
      ],
      strategy: 'weighted',
    });

    expect(changes).toEqual({ added: ['added'], removed: ['gone'], replaced: ['changed'], kept: ['kept'] });
    expect(events).toEqual([{ ...changes, strategy: 'weighted' }]);
    expect(router.strategy).toBe('weighted');
    expect(router.providers().map((adapter) => adapter.name)).toEqual(['added', 'kept', 'changed']);
    const status = router.healthStatus();
    expect(status.kept).toMatchObject({ circuitState: 'open', enabled: false, weight: 4 });
    expect(status.changed).toMatchObject({ circuitState: 'closed', enabled: true });
  });

  it('changes nothing when a value is bad', () => {
    const router = new Router({ maxAttempts: 2 });
    const adapter = scriptedAdapter('only', ['gpt-4o']);
    router.registerProvider(adapter);
    expect(() =>
      router.reconfigure({
        providers: [{ adapter: scriptedAdapter('other', ['gpt-4o']) }, { adapter: scriptedAdapter('other', ['x']) }],
        routing: { maxAttempts: 5 },
      }),
    ).toThrow(ConfigurationError);
    expect(() => router.reconfigure({ routing: { maxAttempts: 0 }, providers: [] })).toThrow(/maxAttempts/);
    expect(() => router.reconfigure({ strategy: 'fastest' as never, providers: [] })).toThrow(/Unknown strategy/);
    expect(router.providers()).toEqual([adapter]);
    expect(router.routingOptions().maxAttempts).toBe(2);
  });

  it('replaces routing options and circuit-breaker settings; unset keys take their defaults', () => {
    const router = new Router({ maxAttempts: 5, deadlineMs: 1_000, circuitBreaker: { consecutiveFailureLimit: 9 } });
    router.reconfigure({ routing: { maxAttempts: 2 }, circuitBreaker: { openTimeoutMs: 5_000 } });
    expect(router.routingOptions()).toMatchObject({ maxAttempts: 2, deadlineMs: 120_000 });
    expect(router.circuitConfig()).toMatchObject({ openTimeoutMs: 5_000, consecutiveFailureLimit: 5 });
  });
});
