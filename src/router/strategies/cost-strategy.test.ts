import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.ts';
import { Router } from '../router.ts';
import { manualClock, scriptedAdapter } from '../test-support/scripted-adapter.ts';
import type { ResultEvent } from '../types.ts';

describe('cost strategy', () => {
  it('picks the cheapest healthy provider and moves to the next cheapest when it cannot serve', () => {
    const { clock } = manualClock();
    const router = new Router({ strategy: 'cost', clock });
    router.registerProvider(scriptedAdapter('premium'), { pricing: { inputPerMTok: 2.5, outputPerMTok: 10 } });
    router.registerProvider(scriptedAdapter('unpriced'));
    router.registerProvider(scriptedAdapter('budget'), { pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } });
    expect(router.selectProvider('gpt-4o-mini').name).toBe('budget');
    router.updateHealth('budget', false);
    expect(router.selectProvider('gpt-4o-mini').name).toBe('premium');
    router.updateHealth('premium', false);
    expect(router.selectProvider('gpt-4o-mini').name).toBe('unpriced');
    router.updateHealth('budget', true);
    router.updateHealth('premium', true);
    expect(router.fallbackProviders('gpt-4o-mini').map((adapter) => adapter.name)).toEqual([
      'budget',
      'premium',
      'unpriced',
    ]);
  });

  it('prices per public model, with "*" for the rest', () => {
    const router = new Router({ strategy: 'cost' });
    router.registerProvider(scriptedAdapter('openai'), {
      pricing: {
        'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
        '*': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
      },
    });
    router.registerProvider(scriptedAdapter('other'), { pricing: { inputPerMTok: 1, outputPerMTok: 4 } });
    expect(router.selectProvider('gpt-4o').name).toBe('other');
    expect(router.selectProvider('gpt-4o-mini').name).toBe('openai');
  });

  it('breaks a price tie by latency', () => {
    const { clock } = manualClock();
    const router = new Router({ strategy: 'cost', clock });
    const price = { inputPerMTok: 1, outputPerMTok: 1 };
    router.registerProvider(scriptedAdapter('slow'), { pricing: price });
    router.registerProvider(scriptedAdapter('fast'), { pricing: price });
    router.registerProvider(scriptedAdapter('dear'), { pricing: { inputPerMTok: 5, outputPerMTok: 5 } });
    router.recordResult('slow', { success: true, latencyMs: 400 });
    router.recordResult('fast', { success: true, latencyMs: 90 });
    router.recordResult('dear', { success: true, latencyMs: 10 });
    expect(router.selectProvider('m').name).toBe('fast');
  });

  it('counts dollars from usage × pricing on result events', async () => {
    const router = new Router({ strategy: 'cost' });
    router.registerProvider(scriptedAdapter('budget'), { pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } });
    const events: ResultEvent[] = [];
    router.on('result', (event) => events.push(event));
    router.recordResult('budget', {
      success: true,
      latencyMs: 10,
      model: 'gpt-4o-mini',
      usage: { prompt_tokens: 1_000_000, completion_tokens: 500_000 },
    });
    router.recordResult('budget', { success: false, latencyMs: 10, model: 'gpt-4o-mini' });
    expect(events[0]?.costUsd).toBeCloseTo(0.15 + 0.3, 10);
    expect(events[1]?.costUsd).toBeUndefined();
  });

  it('refuses a negative or missing price at registration', () => {
    const router = new Router({ strategy: 'cost' });
    expect(() =>
      router.registerProvider(scriptedAdapter('bad'), { pricing: { inputPerMTok: -1, outputPerMTok: 1 } }),
    ).toThrow(ConfigurationError);
    expect(() =>
      router.registerProvider(scriptedAdapter('bad'), {
        pricing: { m: { inputPerMTok: 1 } } as never,
      }),
    ).toThrow(/pricing for 'm'/);
    expect(router.providers()).toEqual([]);
  });
});
