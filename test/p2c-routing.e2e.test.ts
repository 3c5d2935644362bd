import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { completionBody } from './support/openai-upstream.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Sends `count` requests one after the other; returns the provider of each. */
async function providersOf(running: Harness, count: number): Promise<string[]> {
  const providers: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const { response } = await running.client.chat.completions.create(userRequest()).withResponse();
    providers.push(response.headers.get('x-switchboard-provider') ?? '');
  }
  return providers;
}

describe('strategy p2c through the gateway', () => {
  it('prefers the less loaded of two equally fast providers', async () => {
    harness = await startHarness({
      router: { strategy: 'p2c' },
      upstreams: [
        { name: 'busy', models: ['gpt-4o-mini', 'other-model'] },
        { name: 'idle', models: ['gpt-4o-mini'] },
      ],
    });
    // Both measured on the same quick answers.
    const warm = await providersOf(harness, 6);
    expect(new Set(warm)).toEqual(new Set(['busy', 'idle']));
    // busy gets six requests for a model only it serves, which stay in flight (load is per provider).
    const busy = harness.upstreams.busy!;
    const before = busy.calls.length;
    busy.setDefault({ kind: 'hang' });
    const client = harness.client;
    const held = Array.from({ length: 6 }, () =>
      client.chat.completions.create(userRequest('other-model')).catch(() => undefined),
    );
    while (busy.calls.length < before + 6) await new Promise((resolve) => setTimeout(resolve, 10));
    busy.setDefault({ kind: 'json', body: completionBody('hello from busy') });
    expect(await providersOf(harness, 10)).toEqual(Array(10).fill('idle'));
    await harness.close();
    harness = undefined;
    await Promise.all(held);
  });

  it('prefers the faster of two equally loaded providers', async () => {
    harness = await startHarness({ router: { strategy: 'p2c' }, upstreams: [{ name: 'slow' }, { name: 'fast' }] });
    harness.upstreams.slow!.setDefault({ kind: 'json', body: completionBody('slow'), delayMs: 400 });
    // Sequential requests: neither has any in flight when the next is chosen.
    const served = await providersOf(harness, 12);
    expect(served.slice(0, 2).sort()).toEqual(['fast', 'slow']);
    expect(served.slice(4)).toEqual(Array(8).fill('fast'));
  });
});
