import { describe, expect, it } from 'vitest';
import { Router } from './router.ts';
import { manualClock, scriptedAdapter } from './test-support/scripted-adapter.ts';
import type { CircuitStateChangeEvent } from './types.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];

function routerWithOpenAI(options: ConstructorParameters<typeof Router>[0] = {}) {
  const time = manualClock();
  const router = new Router({
    clock: time.clock,
    retry: { sameProvider: 0, maxRetryAfterMs: 0 },
    circuitBreaker: { consecutiveFailureLimit: 2, openTimeoutMs: 10_000 },
    ...options,
  });
  const openai = scriptedAdapter('openai', ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }]);
  router.registerProvider(openai);
  const changes: CircuitStateChangeEvent[] = [];
  router.on('circuitStateChange', (event) => changes.push(event));
  return { router, openai, changes, ...time };
}

describe('health per deployment (provider × model)', () => {
  it('a model failing at a provider opens only that deployment; its other models keep serving', async () => {
    const { router, openai, changes } = routerWithOpenAI();
    openai.scriptFor('gpt-4o', { status: 503 });
    for (let index = 0; index < 2; index += 1)
      await router.chatCompletion({ model: 'smart', messages }).catch(() => {});
    expect(router.circuitState('openai', 'smart')).toBe('open');
    expect(router.circuitState('openai')).toBe('closed');
    expect(changes).toEqual([
      expect.objectContaining({ provider: 'openai', model: 'smart', from: 'closed', to: 'open' }),
    ]);
    const served = await router.chatCompletion({ model: 'gpt-4o-mini', messages });
    expect(served).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini' });
    const status = router.healthStatus().openai!;
    expect(status.circuitState).toBe('closed');
    expect(status.deployments.smart).toMatchObject({
      upstream: 'gpt-4o',
      circuitState: 'open',
      consecutiveFailures: 2,
    });
    expect(status.deployments['gpt-4o-mini']).toMatchObject({ circuitState: 'closed', consecutiveSuccesses: 1 });
  });

  it('a 429 cools down only that model: the provider serves its other model at once', async () => {
    const { router, openai } = routerWithOpenAI();
    openai.scriptFor('gpt-4o', { status: 429, retryAfterMs: 30_000 });
    await expect(router.chatCompletion({ model: 'smart', messages })).rejects.toMatchObject({
      lastError: { status: 429 },
    });
    await expect(router.chatCompletion({ model: 'smart', messages })).rejects.toMatchObject({ retryAfterMs: 30_000 });
    expect(await router.chatCompletion({ model: 'gpt-4o-mini', messages })).toMatchObject({ provider: 'openai' });
    expect(router.healthStatus().openai!.deployments.smart!.coolingDownUntil).toBeGreaterThan(0);
    expect(router.healthStatus().openai!.coolingDownUntil).toBe(0);
  });

  it('a 429 without retry-after cools the model down for 1 s, doubling while 429s repeat', async () => {
    const { router, openai, advance } = routerWithOpenAI();
    openai.scriptFor('gpt-4o', { status: 429 });
    const cooling = () => router.healthStatus().openai!.deployments.smart!.coolingDownUntil;
    const start = router.healthStatus().openai!.lastStateChange;
    await router.chatCompletion({ model: 'smart', messages }).catch(() => {});
    expect(cooling() - start).toBe(1_000);
    advance(1_000);
    await router.chatCompletion({ model: 'smart', messages }).catch(() => {});
    expect(cooling() - start).toBe(1_000 + 2_000);
    openai.scriptFor('gpt-4o', { reply: 'ok' });
    advance(2_000);
    await router.chatCompletion({ model: 'smart', messages });
    openai.scriptFor('gpt-4o', { status: 429 });
    await router.chatCompletion({ model: 'smart', messages }).catch(() => {});
    expect(cooling() - start).toBe(3_000 + 1_000);
  });

  it('provider-wide faults (connection, 401) count against every model of the provider', async () => {
    const { router, openai, changes } = routerWithOpenAI();
    openai.scriptFor('gpt-4o', { failure: 'connection', code: 'ECONNREFUSED' });
    openai.scriptFor('gpt-4o-mini', { status: 401 });
    await router.chatCompletion({ model: 'smart', messages }).catch(() => {});
    await router.chatCompletion({ model: 'gpt-4o-mini', messages }).catch(() => {});
    expect(router.circuitState('openai')).toBe('open');
    expect(changes).toEqual([expect.objectContaining({ provider: 'openai', model: '*', to: 'open' })]);
    await expect(router.chatCompletion({ model: 'gpt-4o-mini', messages })).rejects.toMatchObject({
      skipped: { openai: 'circuit_open' },
    });
    expect(router.isReady()).toBe(false);
  });

  it('recordResult without a model applies to the provider; with one, to that deployment', () => {
    const { router } = routerWithOpenAI();
    router.recordResult('openai', { success: false, model: 'smart' });
    router.recordResult('openai', { success: false, model: 'smart' });
    expect(router.circuitState('openai', 'smart')).toBe('open');
    expect(router.circuitState('openai', 'gpt-4o-mini')).toBe('closed');
    router.recordResult('openai', { success: false });
    router.recordResult('openai', { success: false });
    expect(router.circuitState('openai')).toBe('open');
    expect(router.resetCircuit('openai')).toBe(true);
    expect([router.circuitState('openai'), router.circuitState('openai', 'smart')]).toEqual(['closed', 'closed']);
  });
});
