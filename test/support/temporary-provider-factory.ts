import { createOpenAIProvider } from '../../providers/openai-provider.ts';
import type { ProviderEntry } from '../../src/config/config-schema.ts';

/** Until providers/index.ts lands: openai entries only. */
export function temporaryProviderFactory(entry: ProviderEntry) {
  if (entry.type !== 'openai') throw new Error(`type ${entry.type} not supported yet`);
  return createOpenAIProvider({ name: entry.name, baseURL: entry.baseURL!, apiKey: entry.apiKey, models: entry.models });
}
