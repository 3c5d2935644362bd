import { describe, expect, it } from 'vitest';
import { createProvider } from './create-provider.ts';
import { openAICompletion } from './test-support/openai-fixtures.ts';
import { failureOf } from './test-support/outcomes.ts';
import { startTestServer } from '../test/support/scripted-server.ts';

describe('createProvider', () => {
  it('builds each adapter type from a config entry', async () => {
    const openai = createProvider({
      name: 'primary',
      type: 'openai',
      baseURL: 'http://127.0.0.1:9/v1',
      apiKey: 'k',
      models: ['gpt-4o-mini'],
      weight: 2,
    });
    const anthropic = createProvider({ name: 'claude', type: 'anthropic', apiKey: 'k', models: ['claude-sonnet-4-5'] });
    const mock = createProvider({ name: 'demo', type: 'mock', latencyMs: 0, reply: 'hey' });
    expect([openai.type, anthropic.type, mock.type]).toEqual(['openai', 'anthropic', 'mock']);
    expect(openai.models).toEqual(['gpt-4o-mini']);
    expect(mock.models).toEqual(['*']);
    expect((await mock.chat({ model: 'x', messages: [] })).choices[0]?.message.content).toBe('hey');
    await Promise.all([openai.close?.(), anthropic.close?.(), mock.close?.()]);
  });

  it('refuses an unknown type and an anthropic entry without a key', () => {
    expect(() => createProvider({ name: 'odd', type: 'gemini' })).toThrow(/unknown type 'gemini'/);
    expect(() => createProvider({ name: 'claude', type: 'anthropic' })).toThrow(/apiKey is required/);
  });

  it('hands maxResponseBytes and supportsPrefill from the entry to the adapter', async () => {
    const server = await startTestServer();
    const openai = createProvider({ name: 'p', type: 'openai', baseURL: `${server.origin}/v1`, maxResponseBytes: 100 });
    const mock = createProvider({ name: 'm', type: 'mock', supportsPrefill: true });
    try {
      server.enqueue({ body: openAICompletion('x'.repeat(200)) });
      expect((await failureOf(openai.chat({ model: 'gpt-4o-mini', messages: [] }))).kind).toBe('protocol');
      expect(mock.supportsPrefill).toBe(true);
    } finally {
      await openai.close?.();
      await server.close();
    }
  });
});
