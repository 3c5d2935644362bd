/**
 * The config-file entry point: one `providers[]` entry in, one adapter out.
 */
import { createAnthropicProvider, type AnthropicProviderOptions } from './anthropic/anthropic-provider.ts';
import type { ProviderAdapter } from '../src/contract/provider-adapter.ts';
import { PROVIDER_TYPES, type ProviderType } from '../src/contract/provider-types.ts';
import { createMockProvider, type MockProviderOptions } from './mock/mock-provider.ts';
import { createOpenAIProvider, type OpenAIProviderOptions } from './openai/openai-provider.ts';

export { PROVIDER_TYPES, type ProviderType };

/** Fields every config entry has (`weight` is the router's, ignored here). */
interface ProviderEntryBase {
  name: string;
  models?: readonly string[];
  weight?: number;
}

/** A `type: openai` entry: `createOpenAIProvider`'s options; `baseURL` defaults to `https://api.openai.com/v1`. */
export type OpenAIProviderEntry = ProviderEntryBase & { type: 'openai' } & Partial<
    Omit<OpenAIProviderOptions, 'name' | 'models'>
  >;
/** A `type: anthropic` entry: `createAnthropicProvider`'s options. */
export type AnthropicProviderEntry = ProviderEntryBase & { type: 'anthropic' } & Partial<
    Omit<AnthropicProviderOptions, 'name' | 'models'>
  >;
/** A `type: mock` entry: `createMockProvider`'s options (functions aside). */
export type MockProviderEntry = ProviderEntryBase & { type: 'mock' } & Omit<
    MockProviderOptions,
    'name' | 'models' | 'random' | 'reply' | 'healthy'
  > & {
    reply?: string;
    healthy?: boolean;
  };

/** One `providers[]` entry of the config file, by type. */
export type ProviderConfig = OpenAIProviderEntry | AnthropicProviderEntry | MockProviderEntry;

/** The OpenAI API's base URL, used when an `openai` entry names none. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * Builds the adapter for a config entry, keyed by `type`. Unknown types and missing
 * required fields throw an `Error` naming the provider.
 *
 * @example
 * ```ts
 * const adapters = config.providers.map((entry) => createProvider(entry));
 * createProvider({ name: 'demo', type: 'mock', models: ['*'], latencyMs: 20, failureRate: 0.05 });
 * createProvider({ name: 'claude', type: 'anthropic', apiKey: process.env.ANTHROPIC_API_KEY, models: ['claude-sonnet-4-5'] });
 * ```
 */
export function createProvider(
  config: ProviderConfig | ({ name: string; type: string } & Record<string, unknown>),
): ProviderAdapter {
  const entry = config as ProviderConfig;
  const models = entry.models ?? ['*'];
  switch (entry.type) {
    case 'openai': {
      const { type: _type, weight: _weight, ...options } = entry;
      return createOpenAIProvider({
        ...options,
        name: entry.name,
        models,
        baseURL: entry.baseURL ?? OPENAI_DEFAULT_BASE_URL,
      });
    }
    case 'anthropic': {
      const { type: _type, weight: _weight, apiKey, ...options } = entry;
      if (apiKey === undefined || apiKey.length === 0)
        throw new Error(`provider '${entry.name}' (anthropic): apiKey is required`);
      return createAnthropicProvider({ ...options, name: entry.name, apiKey, models });
    }
    case 'mock': {
      const { type: _type, weight: _weight, ...options } = entry;
      return createMockProvider({ ...options, name: entry.name, models });
    }
    default:
      entry satisfies never;
      throw new Error(
        `provider '${String((config as { name?: unknown }).name)}': unknown type '${String((config as { type?: unknown }).type)}' (expected one of ${PROVIDER_TYPES.join(', ')})`,
      );
  }
}
