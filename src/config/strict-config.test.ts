import { describe, expect, it } from 'vitest';
import { ConfigurationError, SwitchboardError } from '../contract/index.ts';
import { closestKey } from './closest-key.ts';
import { demoConfig } from './demo-config.ts';
import { parseConfig, validateConfig } from './load-config.ts';

function issuesOf(raw: unknown): string[] {
  try {
    parseConfig(raw, { env: {} });
  } catch (error) {
    expect(ConfigurationError.isInstance(error)).toBe(true);
    return (error as ConfigurationError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected a ConfigurationError');
}

describe('strict config: unknown keys are start-up errors', () => {
  it('names a misspelled top-level key and the key it was probably meant to be', () => {
    // Before, `sever:` was dropped silently: no gateway keys, no admin API, no message.
    expect(issuesOf({ sever: { apiKeys: ['k'], adminToken: 't' } })).toEqual([
      "sever: unknown key (did you mean 'server'?)",
    ]);
  });

  it('names nested unknown keys by their full path, one issue per key', () => {
    const issues = issuesOf({
      server: { prot: 9000, apikeys: ['k'], rateLimit: { requestsPerMinit: 10 } },
      router: { strategy: 'latency', circuitBreaker: { openTimeout: 5 }, healthCheck: { interval: 0 } },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        "server.prot: unknown key (did you mean 'port'?)",
        "server.apikeys: unknown key (did you mean 'apiKeys'?)",
        "server.rateLimit.requestsPerMinit: unknown key (did you mean 'requestsPerMinute'?)",
        "router.circuitBreaker.openTimeout: unknown key (did you mean 'openTimeoutMs'?)",
        "router.healthCheck.interval: unknown key (did you mean 'intervalMs'?)",
      ]),
    );
    expect(issues).toHaveLength(5);
  });

  it('lists the known keys when nothing is close', () => {
    expect(issuesOf({ router: { zzzzzzzzzz: 1 } })).toEqual([
      'router.zzzzzzzzzz: unknown key (known keys: strategy, circuitBreaker, healthCheck, maxAttempts, deadlineMs, requestTimeoutMs, firstTokenTimeoutMs, streamIdleTimeoutMs, streamRecovery, fallbacks, contextWindowFallbacks, contentPolicyFallbacks, retry, affinity, hedge, retryBudget)',
    ]);
  });

  it('checks provider options per type: a mock option on an openai provider is an error', () => {
    const issues = issuesOf({
      providers: [
        { name: 'real', type: 'openai', baseURL: 'https://api.openai.com/v1', latencyMs: 20 },
        { name: 'fake', type: 'mock', defaultMaxTokens: 100, latencyMS: 5 },
        { name: 'claude', type: 'anthropic', apiKey: 'k', anthropicVersion: '2023-06-01', failureRate: 0.5 },
      ],
    });
    expect(issues).toEqual([
      "providers[0].latencyMs: unknown key for type 'openai' (an option of type 'mock')",
      "providers[1].defaultMaxTokens: unknown key for type 'mock' (an option of type 'anthropic')",
      "providers[1].latencyMS: unknown key (did you mean 'latencyMs'?)",
      "providers[2].failureRate: unknown key for type 'anthropic' (an option of type 'mock')",
    ]);
  });

  it('keeps each type its own options, and names the types on an unknown one', () => {
    const config = parseConfig(
      {
        providers: [
          { name: 'o', type: 'openai', headers: { 'OpenAI-Organization': 'org' }, connections: 8 },
          { name: 'a', type: 'anthropic', apiKey: 'k', defaultMaxTokens: 1024 },
          { name: 'm', type: 'mock', latencyMs: '20', failureRate: 0.1, reply: 'hi', healthy: false },
        ],
      },
      { env: {} },
    );
    expect(config.providers[0]).toMatchObject({ headers: { 'OpenAI-Organization': 'org' }, connections: 8 });
    expect(config.providers[1]).toMatchObject({ defaultMaxTokens: 1024 });
    expect(config.providers[2]).toMatchObject({ latencyMs: 20, failureRate: 0.1, reply: 'hi', healthy: false });
    expect(issuesOf({ providers: [{ name: 'g', type: 'grpc' }] })).toEqual([
      'providers[0].type: must be one of openai, anthropic, mock',
    ]);
  });

  it('reports unknown keys together with other bad fields', () => {
    const issues = issuesOf({ server: { port: 'eighty', hots: 'x' } });
    expect(issues).toContain("server.hots: unknown key (did you mean 'host'?)");
    expect(issues.some((issue) => issue.startsWith('server.port: '))).toBe(true);
  });

  it('still accepts every documented key, and its own output (validation is idempotent)', () => {
    const config = validateConfig(demoConfig({}));
    expect(validateConfig(config)).toEqual(config);
    const full = {
      server: {
        host: '0.0.0.0',
        port: 8080,
        apiKeys: ['k'],
        adminToken: 't',
        maxBodyBytes: 1024,
        rateLimit: { requestsPerMinute: 10, burst: 20 },
        backlog: 1000,
        maxConnections: 500,
        headersTimeoutMs: 5000,
        keepAliveTimeoutMs: 6000,
        failedAuthLimit: { perMinute: 10 },
        admin: { allowedUpstreams: ['*.openai.com', '127.0.0.1'] },
        workers: 2,
      },
      state: { redis: { url: 'redis://127.0.0.1:6379/0', keyPrefix: 'sb:' } },
      router: {
        strategy: 'round_robin',
        circuitBreaker: {
          failureRateThreshold: 0.4,
          consecutiveFailureLimit: 4,
          halfOpenSuccessThreshold: 2,
          openTimeoutMs: 1000,
          halfOpenMaxProbes: 2,
          maxOpenTimeoutMultiplier: 5,
        },
        healthCheck: { intervalMs: 0, timeoutMs: 100 },
        maxAttempts: 2,
        deadlineMs: 5000,
        requestTimeoutMs: 1000,
        firstTokenTimeoutMs: 500,
        streamIdleTimeoutMs: 700,
        streamRecovery: 'continue',
        fallbacks: { b: ['a'], '*': ['a'] },
        contextWindowFallbacks: { a: ['b'] },
        contentPolicyFallbacks: {},
        retry: { sameProvider: 2, backoffMs: 50, maxRetryAfterMs: 1000 },
      },
      providers: [
        {
          name: 'p',
          type: 'openai',
          baseURL: 'http://127.0.0.1:1/v1',
          apiKey: 'k',
          models: ['a', { name: 'b', upstream: 'real-b' }],
          weight: 2,
          headers: { 'OpenAI-Organization': 'org-1' },
        },
      ],
    };
    expect(validateConfig(full)).toEqual(full);
  });

  it('checks the scale-out keys: server.workers, state.redis', () => {
    expect(validateConfig({ server: { workers: 'auto' } }).server.workers).toBe('auto');
    expect(validateConfig({ state: { redis: { url: 'rediss://u:p@cache:6380' } } }).state).toEqual({
      redis: { url: 'rediss://u:p@cache:6380', keyPrefix: 'switchboard:' },
    });
    expect(issuesOf({ server: { workers: 0 }, state: { redis: { url: 'http://x', prefix: 'a' } } })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server\.workers: /),
        'state.redis.url: must be a redis:// or rediss:// URL',
        "state.redis.prefix: unknown key (did you mean 'keyPrefix'?)",
      ]),
    );
  });

  it('throws one error class, with the code `configuration`', () => {
    try {
      parseConfig({ sever: {} }, { env: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SwitchboardError);
      expect((error as SwitchboardError).code).toBe('configuration');
      expect((error as Error).message).toContain("sever: unknown key (did you mean 'server'?)");
    }
  });
});

describe('closestKey', () => {
  it('finds typos, case slips and swapped letters, and nothing for unrelated names', () => {
    expect(closestKey('sever', ['server', 'router', 'providers'])).toBe('server');
    expect(closestKey('APIKEYS', ['apiKeys', 'adminToken'])).toBe('apiKeys');
    expect(closestKey('rotuer', ['server', 'router'])).toBe('router');
    expect(closestKey('database', ['server', 'router', 'providers'])).toBeUndefined();
  });
});
