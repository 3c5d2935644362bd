import type { SwitchboardConfig, SwitchboardConfigInput } from './config-schema.ts';
import { parseConfig } from './load-config.ts';

/**
 * The config `npm start` serves when no `--config` is given: in-process `mock` providers
 * (no API keys needed) for `gpt-4o-mini`, `gpt-4o`, `claude-sonnet-4-5` and `demo`, two of
 * them for the GPT models so fallbacks can be seen. When `OPENAI_API_KEY` or
 * `ANTHROPIC_API_KEY` is set, the real provider serves its models instead of the mocks.
 *
 * @example
 * ```ts
 * const config = demoConfig(process.env);
 * config.providers.map((provider) => provider.name); // ['mock-primary', 'mock-secondary', 'mock-claude', 'demo']
 * ```
 */
export function demoConfig(env: Readonly<Record<string, string | undefined>> = process.env): SwitchboardConfig {
  return parseConfig(demoConfigInput(env), { env: {}, source: 'embedded demo config' });
}

/** The raw demo config (before defaults), e.g. to print or to write to a file. */
export function demoConfigInput(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SwitchboardConfigInput {
  const gptModels = ['gpt-4o-mini', 'gpt-4o'];
  const claudeModels = ['claude-sonnet-4-5'];
  const providers: SwitchboardConfigInput['providers'] = [];
  const openAIKey = nonEmpty(env.OPENAI_API_KEY);
  const anthropicKey = nonEmpty(env.ANTHROPIC_API_KEY);
  if (openAIKey !== undefined) {
    providers.push({
      name: 'openai',
      type: 'openai',
      baseURL: nonEmpty(env.OPENAI_BASE_URL) ?? 'https://api.openai.com/v1',
      apiKey: openAIKey,
      models: gptModels,
    });
  } else {
    providers.push({ name: 'mock-primary', type: 'mock', models: gptModels, latencyMs: 20, chunkDelayMs: 15 });
    providers.push({ name: 'mock-secondary', type: 'mock', models: gptModels, latencyMs: 40, chunkDelayMs: 15 });
  }
  if (anthropicKey !== undefined) {
    providers.push({
      name: 'anthropic',
      type: 'anthropic',
      baseURL: nonEmpty(env.ANTHROPIC_BASE_URL) ?? 'https://api.anthropic.com',
      apiKey: anthropicKey,
      models: claudeModels,
    });
  } else {
    providers.push({ name: 'mock-claude', type: 'mock', models: claudeModels, latencyMs: 30, chunkDelayMs: 15 });
  }
  providers.push({ name: 'demo', type: 'mock', models: ['demo'], latencyMs: 10, chunkDelayMs: 15 });
  return {
    server: { host: '127.0.0.1', port: 8787 },
    router: { strategy: 'latency', healthCheck: { intervalMs: 10_000, timeoutMs: 5_000 } },
    providers,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
