/** The adapter types a config entry can name: one list for the config schema, the admin API and `createProvider`. */
export const PROVIDER_TYPES = Object.freeze(['openai', 'anthropic', 'mock'] as const);

/** An adapter type a config entry can name (`openai`, `anthropic`, `mock`). */
export type ProviderType = (typeof PROVIDER_TYPES)[number];
