/**
 * End-to-end harness: scripted OpenAI upstreams behind real `openai`-type providers, the
 * gateway listening on an ephemeral port, and the official `openai` client pointed at it.
 */
import OpenAI from 'openai';
import { startServer, type RunningServer, type StartServerOptions } from '../../bootstrap.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import type { SwitchboardConfigInput } from '../../src/config/config-schema.ts';
import { silentLogger } from '../../src/gateway/request-log.ts';
import { startOpenAIUpstream, type OpenAIUpstream } from './openai-upstream.ts';

/** One upstream of the harness: a scripted server plus its provider entry. */
export interface HarnessUpstream {
  name: string;
  models?: string[];
  weight?: number;
  /** The provider entry's `pricing`. */
  pricing?: NonNullable<SwitchboardConfigInput['providers']>[number]['pricing'];
}

/** Options of `startHarness`. */
export interface HarnessOptions {
  upstreams: HarnessUpstream[];
  /** Merged into the config (server / router blocks). */
  server?: SwitchboardConfigInput['server'];
  router?: SwitchboardConfigInput['router'];
  /** Extra bootstrap options (clock, logger…). */
  bootstrap?: Omit<StartServerOptions, 'config' | 'port' | 'host'>;
  /** API key the `openai` client sends. Default `test-key`. */
  apiKey?: string;
}

/** A running harness. */
export interface Harness {
  upstreams: Record<string, OpenAIUpstream>;
  running: RunningServer;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  client: OpenAI;
  close(): Promise<void>;
}

/** A fake clock for the router: `now()` and `advance(ms)`. */
export function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(milliseconds: number) {
      now += milliseconds;
    },
  };
}

/**
 * Starts upstreams and the gateway. Health checks are off unless the router block enables them.
 *
 * @example
 * ```ts
 * const harness = await startHarness({ upstreams: [{ name: 'primary' }, { name: 'secondary' }] });
 * const completion = await harness.client.chat.completions.create({ model: 'gpt-4o-mini', messages });
 * await harness.close();
 * ```
 */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const upstreams: Record<string, OpenAIUpstream> = {};
  for (const upstream of options.upstreams) upstreams[upstream.name] = await startOpenAIUpstream(upstream.name);
  const config = parseConfig(
    {
      server: { ...options.server },
      router: {
        strategy: 'round_robin',
        ...options.router,
        healthCheck: { intervalMs: 0, ...options.router?.healthCheck },
      },
      providers: options.upstreams.map((upstream) => ({
        name: upstream.name,
        type: 'openai',
        baseURL: upstreams[upstream.name]!.baseURL,
        apiKey: `sk-upstream-${upstream.name}`,
        models: upstream.models ?? ['gpt-4o-mini'],
        weight: upstream.weight ?? 1,
        ...(upstream.pricing !== undefined ? { pricing: upstream.pricing } : {}),
      })),
    },
    { env: {} },
  );
  let running: RunningServer;
  try {
    running = await startServer({
      logger: silentLogger,
      drainTimeoutMs: 2_000,
      ...options.bootstrap,
      config,
      port: 0,
      host: '127.0.0.1',
    });
  } catch (error) {
    await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
    throw error;
  }
  const client = new OpenAI({
    baseURL: `${running.url}/v1`,
    apiKey: options.apiKey ?? 'test-key',
    maxRetries: 0,
    timeout: 10_000,
  });
  return {
    upstreams,
    running,
    url: running.url,
    client,
    async close() {
      await running.close();
      await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
    },
  };
}

/** A one-message request body. */
export function userRequest(
  model = 'gpt-4o-mini',
  content = 'Hello',
): { model: string; messages: Array<{ role: 'user'; content: string }> } {
  return { model, messages: [{ role: 'user', content }] };
}
