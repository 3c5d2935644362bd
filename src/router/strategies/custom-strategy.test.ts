import { describe, expect, it } from 'vitest';
import type { SelectionStrategy } from '../../index.ts';
import { ConfigurationError } from '../errors.ts';
import { Router } from '../router.ts';
import { scriptedAdapter } from '../test-support/scripted-adapter.ts';

describe('a strategy of your own', () => {
  it('is passed as an object and decides selection and fallback order', async () => {
    const seen: string[][] = [];
    const newestFirst: SelectionStrategy = {
      name: 'newest_first',
      choose(candidates, context) {
        seen.push([context.model, ...candidates.map((candidate) => candidate.name)]);
        return candidates.length - 1;
      },
      rank: (candidates) => [...candidates].reverse(),
    };
    const router = new Router({ strategy: newestFirst });
    router.registerProvider(scriptedAdapter('old', ['m']));
    router.registerProvider(scriptedAdapter('new', ['m']));
    expect(router.strategy).toBe('newest_first');
    expect(router.selectProvider('m').name).toBe('new');
    expect(seen).toEqual([['m', 'old', 'new']]);
    const routed = await router.chatCompletion({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(routed.provider).toBe('new');
  });

  it('is refused without choose() and rank()', () => {
    expect(() => new Router({ strategy: { name: 'broken' } as unknown as SelectionStrategy })).toThrow(
      ConfigurationError,
    );
  });
});
