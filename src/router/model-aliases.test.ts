import { describe, expect, it } from 'vitest';
import { ConfigurationError, ModelNotFoundError } from './errors.ts';
import { Router } from './router.ts';
import { manualClock, scriptedAdapter } from './test-support/scripted-adapter.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('model table: aliases and upstream names', () => {
  it('serves an alias under its public name and sends the provider its upstream name', async () => {
    const router = new Router();
    const openai = scriptedAdapter('openai', []);
    router.registerProvider(openai, { models: ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }] });
    const result = await router.chatCompletion({ model: 'smart', messages });
    expect(result).toMatchObject({ provider: 'openai', model: 'smart', attempts: 1, fallbackReason: undefined });
    expect(openai.calls.map((call) => call.model)).toEqual(['gpt-4o']);
    await router.chatCompletion({ model: 'gpt-4o-mini', messages });
    expect(openai.calls.map((call) => call.model)).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(() => router.selectProvider('gpt-4o')).toThrow(ModelNotFoundError);
  });

  it('passes the very request object on when no name changes, and a copy with the upstream name otherwise', async () => {
    const router = new Router();
    const adapter = scriptedAdapter('p', ['plain', { name: 'alias', upstream: 'real' }]);
    router.registerProvider(adapter);
    const plain = { model: 'plain', messages };
    await router.chatCompletion(plain);
    expect(adapter.calls[0]).toBe(plain);
    const aliased = { model: 'alias', messages, temperature: 0 };
    await router.chatCompletion(aliased);
    expect(adapter.calls[1]).not.toBe(aliased);
    expect(adapter.calls[1]).toEqual({ ...aliased, model: 'real' });
    expect(aliased.model).toBe('alias');
  });

  it('routes one alias to different upstream names per provider', async () => {
    const router = new Router({ strategy: 'round_robin' });
    const openai = scriptedAdapter('openai', [{ name: 'smart', upstream: 'gpt-4o' }]);
    const claude = scriptedAdapter('claude', [{ name: 'smart', upstream: 'claude-sonnet-4-5' }]);
    router.registerProvider(openai);
    router.registerProvider(claude);
    await router.chatCompletion({ model: 'smart', messages });
    await router.chatCompletion({ model: 'smart', messages });
    expect(openai.calls.map((call) => call.model)).toEqual(['gpt-4o']);
    expect(claude.calls.map((call) => call.model)).toEqual(['claude-sonnet-4-5']);
    expect(router.upstreamModel('claude', 'smart')).toBe('claude-sonnet-4-5');
  });

  it('"*" serves any name, sent as asked; a listed alias wins over "*"', async () => {
    const router = new Router();
    const any = scriptedAdapter('any', ['*', { name: 'fast', upstream: 'gpt-4o-mini' }]);
    router.registerProvider(any);
    await router.chatCompletion({ model: 'whatever-1', messages });
    await router.chatCompletion({ model: 'fast', messages });
    expect(any.calls.map((call) => call.model)).toEqual(['whatever-1', 'gpt-4o-mini']);
  });

  it('lists public names, aliases included, owned by the first provider by name', () => {
    const router = new Router();
    router.registerProvider(scriptedAdapter('openai', ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }, '*']));
    router.registerProvider(
      scriptedAdapter('claude', [
        { name: 'smart', upstream: 'c' },
        { name: 'long', upstream: 'c' },
      ]),
    );
    expect(router.registeredModels()).toEqual([
      { id: 'gpt-4o-mini', ownedBy: 'openai' },
      { id: 'long', ownedBy: 'claude' },
      { id: 'smart', ownedBy: 'claude' },
    ]);
  });

  it('refuses malformed entries at registration', () => {
    const router = new Router();
    expect(() => router.registerProvider(scriptedAdapter('p'), { models: [{ name: '', upstream: 'x' }] })).toThrow(
      ConfigurationError,
    );
    expect(() =>
      router.registerProvider(scriptedAdapter('p'), {
        models: [{ name: 'a' } as unknown as { name: string; upstream: string }],
      }),
    ).toThrow(/name, upstream/);
  });
});

describe('lease: selection tied to its result', () => {
  it('takes a half-open probe slot only for a call that is made, and frees it on record or release', () => {
    const { clock, advance } = manualClock();
    const router = new Router({ clock, circuitBreaker: { consecutiveFailureLimit: 1, openTimeoutMs: 1_000 } });
    router.registerProvider(scriptedAdapter('p', ['m']));
    router.recordResult('p', { success: false, model: 'm' });
    expect(router.circuitState('p', 'm')).toBe('open');
    advance(1_000);
    const first = router.lease('m');
    expect(first.isProbe).toBe(true);
    expect(() => router.lease('m')).toThrow(/half_open_probes_busy/);
    first.release();
    const second = router.lease('m');
    expect(second.upstreamModel).toBe('m');
    second.record({ success: true, latencyMs: 5 });
    second.record({ success: false });
    expect(router.healthStatus().p?.deployments.m).toMatchObject({ consecutiveSuccesses: 1, consecutiveFailures: 0 });
    expect(router.lease('m').provider).toBe('p');
  });
});
