/**
 * End-to-end setup for the gateway's endpoints beyond chat: a real Anthropic-speaking upstream
 * (the scripted `TestServer`, answering with recorded-shape fixtures by default), a scripted
 * OpenAI-compatible upstream, and the gateway in front of both with an `anthropic` provider
 * (`claude-sonnet-4-5`) and an `openai` provider (`gpt-4o-mini`), listening on an ephemeral port.
 */
import { startServer, type RunningServer } from '../../bootstrap.ts';
import type { SwitchboardConfigInput } from '../../src/config/config-schema.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/gateway/request-log.ts';
import { fixtureText } from '../../providers/test-support/fixtures.ts';
import { startTestServer, type RecordedCall, type ScriptedResponse, type TestServer } from './scripted-server.ts';
import { startOpenAIUpstream, type OpenAIUpstream } from './openai-upstream.ts';

/** The gateway key clients of `startEndpointGateway` send. */
export const GATEWAY_KEY = 'sb-gateway-key';

/** Answers like Anthropic's API: a recorded message, or its recorded stream when `stream: true`. */
export function anthropicFixtureAnswer(call: RecordedCall): ScriptedResponse {
  if (call.url.endsWith('/count_tokens')) return { body: { input_tokens: 42 } };
  if (call.json?.stream === true)
    return { headers: { 'content-type': 'text/event-stream' }, body: fixtureText('anthropic-stream-text.sse') };
  return { body: fixtureText('anthropic-message-text.json'), headers: { 'content-type': 'application/json' } };
}

/** Options of `startEndpointGateway`. */
export interface EndpointGatewayOptions {
  server?: SwitchboardConfigInput['server'];
  router?: SwitchboardConfigInput['router'];
  /** Providers added after `claude` and `openai`. */
  providers?: NonNullable<SwitchboardConfigInput['providers']>;
  /** Overrides of the two providers' entries. */
  claude?: Record<string, unknown>;
  openai?: Record<string, unknown>;
}

/** A running gateway with its two upstreams. */
export interface EndpointGateway {
  running: RunningServer;
  url: string;
  anthropicUpstream: TestServer;
  openaiUpstream: OpenAIUpstream;
  close(): Promise<void>;
}

/**
 * Starts both upstreams and the gateway (health checks off, `availability` strategy so the first
 * listed provider of a model serves first, gateway key `GATEWAY_KEY`).
 *
 * @example
 * ```ts
 * const gateway = await startEndpointGateway();
 * const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: GATEWAY_KEY });
 * ```
 */
export async function startEndpointGateway(options: EndpointGatewayOptions = {}): Promise<EndpointGateway> {
  const anthropicUpstream = await startTestServer();
  anthropicUpstream.fallback = anthropicFixtureAnswer;
  const openaiUpstream = await startOpenAIUpstream('openai');
  const config = parseConfig(
    {
      server: { apiKeys: [GATEWAY_KEY], ...options.server },
      router: { strategy: 'availability', ...options.router, healthCheck: { intervalMs: 0 } },
      providers: [
        {
          name: 'claude',
          type: 'anthropic',
          baseURL: anthropicUpstream.origin,
          apiKey: 'sk-ant-upstream',
          models: ['claude-sonnet-4-5'],
          ...options.claude,
        },
        {
          name: 'openai',
          type: 'openai',
          baseURL: openaiUpstream.baseURL,
          apiKey: 'sk-openai-upstream',
          models: ['gpt-4o-mini'],
          ...options.openai,
        },
        ...(options.providers ?? []),
      ],
    },
    { env: {} },
  );
  let running: RunningServer;
  try {
    running = await startServer({ config, port: 0, host: '127.0.0.1', logger: silentLogger, drainTimeoutMs: 2_000 });
  } catch (error) {
    await Promise.all([anthropicUpstream.close(), openaiUpstream.close()]);
    throw error;
  }
  return {
    running,
    url: running.url,
    anthropicUpstream,
    openaiUpstream,
    async close() {
      await running.close();
      await Promise.all([anthropicUpstream.close(), openaiUpstream.close()]);
    },
  };
}
