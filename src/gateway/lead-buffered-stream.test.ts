import { describe, expect, it } from 'vitest';
import { LeadBufferedStream, MAX_LEAD_ITEMS } from './lead-buffered-stream.ts';

/** An upstream that yields `items`, then fails with `failure` when given, recording how far it was read. */
function upstream(items: string[], failure?: Error) {
  const state = { pulled: 0, returned: false };
  const iterable: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        if (state.pulled < items.length) return { done: false, value: items[state.pulled++]! };
        if (failure !== undefined) throw failure;
        return { done: true, value: undefined };
      },
      async return() {
        state.returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return { iterable, state };
}

const isLead = (item: string) => item.startsWith('lead');

describe('LeadBufferedStream', () => {
  it('resolves its first item only once a non-lead item arrived, then hands out everything in order', async () => {
    const { iterable, state } = upstream(['lead-1', 'lead-2', 'text', 'more']);
    const stream = new LeadBufferedStream(iterable, isLead);
    expect(await stream.next()).toEqual({ done: false, value: 'lead-1' });
    expect(state.pulled).toBe(3);
    const rest: string[] = [];
    for await (const item of stream) rest.push(item);
    expect(rest).toEqual(['lead-2', 'text', 'more']);
  });

  it('rejects the first next() when the upstream fails before any output (the router can still fall back)', async () => {
    const { iterable } = upstream(['lead-1'], new Error('reset'));
    await expect(new LeadBufferedStream(iterable, isLead).next()).rejects.toThrow('reset');
  });

  it('stops holding after MAX_LEAD_ITEMS lead items, and ends with an upstream that ends', async () => {
    const leads = Array.from({ length: MAX_LEAD_ITEMS + 2 }, (_item, index) => `lead-${index}`);
    const { iterable, state } = upstream(leads);
    const stream = new LeadBufferedStream(iterable, isLead);
    await stream.next();
    expect(state.pulled).toBe(MAX_LEAD_ITEMS);
    let count = 1;
    while ((await stream.next()).done !== true) count += 1;
    expect(count).toBe(leads.length);
  });

  it('releases the upstream on return()', async () => {
    const { iterable, state } = upstream(['lead-1', 'text']);
    const stream = new LeadBufferedStream(iterable, isLead);
    await stream.next();
    await stream.return();
    expect(state.returned).toBe(true);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});
