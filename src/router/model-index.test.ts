import { describe, expect, it } from 'vitest';
import { resolveCircuitConfig } from './circuit-config.ts';
import { ModelIndex } from './model-index.ts';
import { ProviderRecord } from './provider-record.ts';
import { scriptedAdapter } from './test-support/scripted-adapter.ts';

const config = resolveCircuitConfig({});
const record = (name: string, models: string[], order: number) =>
  new ProviderRecord(scriptedAdapter(name, models), order, 1, () => config, 0);

describe('ModelIndex', () => {
  it('merges exact and wildcard providers in registration order, each once', () => {
    const index = new ModelIndex();
    index.rebuild([
      record('any-1', ['*'], 1),
      record('exact', ['gpt-4o', 'gpt-4o'], 2),
      record('both', ['*', 'gpt-4o'], 3),
      record('any-2', ['*'], 4),
      record('other', ['claude'], 5),
    ]);
    expect(index.providersFor('gpt-4o').map((entry) => entry.name)).toEqual(['any-1', 'exact', 'both', 'any-2']);
    expect(index.providersFor('claude').map((entry) => entry.name)).toEqual(['any-1', 'both', 'any-2', 'other']);
    expect(index.providersFor('unknown').map((entry) => entry.name)).toEqual(['any-1', 'both', 'any-2']);
  });

  it('answers an empty list when nothing serves the model, and ignores empty ids', () => {
    const index = new ModelIndex();
    index.rebuild([record('a', ['', 'm'], 1)]);
    expect(index.providersFor('')).toEqual([]);
    expect(index.providersFor('x')).toEqual([]);
  });

  it('returns the same list object on every lookup, so selection allocates nothing', () => {
    const index = new ModelIndex();
    index.rebuild([record('a', ['m'], 1), record('b', ['*'], 2)]);
    expect(index.providersFor('m')).toBe(index.providersFor('m'));
  });
});
