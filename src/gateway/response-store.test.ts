import { describe, expect, it } from 'vitest';
import { ResponseStore } from './response-store.ts';

const message = (id: string, text: string) => ({ id, type: 'message', role: 'assistant', content: text });

describe('ResponseStore', () => {
  it('remembers the provider of a response and forgets the least recently used past maxEntries', () => {
    const store = new ResponseStore({ maxEntries: 2 });
    store.remember('resp_1', 'openai');
    store.remember('resp_2', 'claude');
    expect(store.lookup('resp_1')?.provider).toBe('openai'); // now the most recent
    store.remember('resp_3', 'openai');
    expect(store.lookup('resp_2')).toBeUndefined();
    expect(store.lookup('resp_1')?.provider).toBe('openai');
    expect(store.lookup('resp_3')?.provider).toBe('openai');
    expect(store.size).toBe(2);
  });

  it('keeps conversations within its byte budget, evicting the oldest, and indexes their items', () => {
    // Each conversation is ~115 characters of JSON: four fit in 500, a fifth evicts the first.
    const store = new ResponseStore({ maxBytes: 500 });
    for (const name of ['a', 'b', 'c', 'd'])
      store.remember(`resp_${name}`, 'claude', [message(`msg_${name}`, name.repeat(60))]);
    expect(store.item('msg_a')?.item).toMatchObject({ content: 'a'.repeat(60) });
    store.remember('resp_e', 'claude', [message('msg_e', 'e'.repeat(60))]);
    expect(store.bytes).toBeLessThanOrEqual(500);
    expect(store.lookup('resp_a')).toBeUndefined();
    expect(store.item('msg_a')).toBeUndefined();
    expect(store.item('msg_e')).toMatchObject({ provider: 'claude' });
  });

  it('keeps only the provider of a conversation over a quarter of the budget', () => {
    const store = new ResponseStore({ maxBytes: 400 });
    store.remember('resp_big', 'claude', [message('msg_big', 'x'.repeat(200))]);
    expect(store.lookup('resp_big')).toEqual({ provider: 'claude', conversation: undefined });
    expect(store.bytes).toBe(0);
    expect(store.item('msg_big')).toBeUndefined();
  });

  it('replaces an entry remembered again under the same id', () => {
    const store = new ResponseStore();
    store.remember('resp_1', 'claude', [message('msg_1', 'a')]);
    const before = store.bytes;
    store.remember('resp_1', 'claude', [message('msg_1', 'a')]);
    expect(store.bytes).toBe(before);
    expect(store.size).toBe(1);
  });
});
