import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { demoConfig } from './demo-config.ts';
import { interpolateEnv } from './interpolate-env.ts';
import { loadConfigFile, parseConfig } from './load-config.ts';

function issuesOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig({}, { env: {} });
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 8787,
      maxBodyBytes: 10_485_760,
      backlog: 4096,
      maxConnections: 10_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 65_000,
      failedAuthLimit: { perMinute: 30 },
      admin: {},
      workers: 1,
    });
    expect(config.router).toEqual({
      strategy: 'latency',
      circuitBreaker: {
        failureRateThreshold: 0.5,
        consecutiveFailureLimit: 5,
        halfOpenSuccessThreshold: 3,
        openTimeoutMs: 30_000,
        halfOpenMaxProbes: 1,
        maxOpenTimeoutMultiplier: 10,
      },
      healthCheck: { intervalMs: 10_000, timeoutMs: 5_000 },
      maxAttempts: 3,
      deadlineMs: 120_000,
      requestTimeoutMs: 120_000,
      firstTokenTimeoutMs: 15_000,
      streamIdleTimeoutMs: 30_000,
      streamRecovery: 'off',
      fallbacks: {},
      contextWindowFallbacks: {},
      contentPolicyFallbacks: {},
      retry: { sameProvider: 1, backoffMs: 200, maxRetryAfterMs: 3_000 },
    });
    expect(config.providers).toEqual([]);
  });

  it('reads model aliases, fallback chains and retry settings, and names bad ones by path', () => {
    const config = parseConfig(
      {
        router: {
          fallbacks: { smart: ['gpt-4o-mini'], '*': ['gpt-4o-mini'] },
          contextWindowFallbacks: { 'gpt-4o-mini': ['long'] },
          retry: { sameProvider: 2 },
        },
        providers: [{ name: 'openai', type: 'openai', models: ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }] }],
      },
      { env: {} },
    );
    expect(config.providers[0]?.models).toEqual(['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }]);
    expect(config.router.fallbacks).toEqual({ smart: ['gpt-4o-mini'], '*': ['gpt-4o-mini'] });
    expect(config.router.retry).toEqual({ sameProvider: 2, backoffMs: 200, maxRetryAfterMs: 3_000 });
    const issues = issuesOf(() =>
      parseConfig(
        {
          router: { retry: { sameProvider: -1, tries: 3 }, fallbacks: { smart: 'x' } },
          providers: [{ name: 'p', type: 'mock', models: [{ name: 'smart' }, { name: 'a', upstream: 'b', x: 1 }] }],
        },
        { env: {} },
      ),
    );
    for (const path of [
      'router.retry.sameProvider',
      'router.retry.tries',
      'router.fallbacks.smart',
      'providers[0].models[1].x',
    ])
      expect(issues.some((issue) => issue.startsWith(`${path}: `))).toBe(true);
    expect(issues).toContain('providers[0].models[0]: expected a model name or { name, upstream }');
  });

  it('keeps provider fields and extra mock options, defaulting models and weight', () => {
    const config = parseConfig({ providers: [{ name: 'demo', type: 'mock', latencyMs: 20 }] }, { env: {} });
    expect(config.providers[0]).toEqual({ name: 'demo', type: 'mock', models: ['*'], weight: 1, latencyMs: 20 });
  });

  it('reads router.affinity, router.hedge and router.retryBudget (off when absent) and refuses unknown or bad keys', () => {
    const off = parseConfig({}, { env: {} }).router;
    expect([off.affinity, off.hedge, off.retryBudget]).toEqual([undefined, undefined, undefined]);
    const on = parseConfig(
      { router: { affinity: {}, hedge: { afterMs: 'p95' }, retryBudget: { ratio: '0.1' } } },
      { env: {} },
    ).router;
    expect(on.affinity).toEqual({ header: 'x-session-id', ttlMs: 3_600_000 });
    expect(on.hedge).toEqual({ afterMs: 'p95', max: 1 });
    expect(on.retryBudget).toEqual({ ratio: 0.1, minPerSecond: 3 });
    const issues = issuesOf(() =>
      parseConfig(
        {
          router: {
            affinity: { header: 'x session', ttl: 5 },
            hedge: { afterMs: 'p99', max: 9 },
            retryBudget: { ratio: -1, perSecond: 3 },
          },
        },
        { env: {} },
      ),
    );
    for (const path of [
      'router.affinity.header',
      'router.affinity.ttl',
      'router.hedge.afterMs',
      'router.hedge.max',
      'router.retryBudget.ratio',
      'router.retryBudget.perSecond',
    ])
      expect(issues.some((issue) => issue.startsWith(`${path}: `))).toBe(true);
  });

  it('names every bad field by path', () => {
    const issues = issuesOf(() =>
      parseConfig(
        {
          server: { port: 'eighty', maxBodyBytes: -1 },
          router: { strategy: 'fastest', maxAttempts: 0 },
          providers: [
            { name: 'a', type: 'openai', baseURL: 'https://example.com/v1' },
            { name: 'b', type: 'openai', baseURL: 'not a url' },
            { name: 'c', type: 'grpc' },
          ],
        },
        { env: {} },
      ),
    );
    expect(issues).toContain('providers[1].baseURL: Invalid URL');
    expect(issues.some((issue) => issue.startsWith('server.port: '))).toBe(true);
    expect(issues.some((issue) => issue.startsWith('server.maxBodyBytes: '))).toBe(true);
    expect(issues.some((issue) => issue.startsWith('router.strategy: ') && issue.includes('round_robin'))).toBe(true);
    expect(issues.some((issue) => issue.startsWith('router.maxAttempts: '))).toBe(true);
    expect(issues.some((issue) => issue.startsWith('providers[2].type: '))).toBe(true);
  });

  it('accepts providers[].maxResponseBytes as a positive integer (also from the environment) and refuses anything else', () => {
    const config = parseConfig(
      { providers: [{ name: 'p', type: 'openai', maxResponseBytes: '${LIMIT}' }] },
      { env: { LIMIT: '1048576' } },
    );
    expect(config.providers[0]).toMatchObject({ maxResponseBytes: 1_048_576 });
    const issues = issuesOf(() =>
      parseConfig({ providers: [{ name: 'p', type: 'openai', maxResponseBytes: 0 }] }, { env: {} }),
    );
    expect(issues.some((issue) => issue.startsWith('providers[0].maxResponseBytes: '))).toBe(true);
  });

  it('refuses duplicate provider names', () => {
    const issues = issuesOf(() =>
      parseConfig(
        {
          providers: [
            { name: 'x', type: 'mock' },
            { name: 'x', type: 'mock' },
          ],
        },
        { env: {} },
      ),
    );
    expect(issues).toEqual(["providers[1].name: duplicate provider name 'x' (also providers[0])"]);
  });

  it('interpolates ${NAME} in every string and accepts numbers from the environment', () => {
    const config = parseConfig(
      {
        server: { port: '${PORT}', apiKeys: ['${KEY_ONE}', 'literal-${KEY_TWO}'], adminToken: '${ADMIN}' },
        providers: [{ name: 'p', type: 'openai', baseURL: 'http://${HOST}:9000/v1', apiKey: '${OPENAI_API_KEY}' }],
      },
      {
        env: { PORT: '9999', KEY_ONE: 'one', KEY_TWO: 'two', ADMIN: 'root', HOST: 'localhost', OPENAI_API_KEY: 'sk-1' },
      },
    );
    expect(config.server.port).toBe(9999);
    expect(config.server.apiKeys).toEqual(['one', 'literal-two']);
    expect(config.server.adminToken).toBe('root');
    expect(config.providers[0]).toMatchObject({ baseURL: 'http://localhost:9000/v1', apiKey: 'sk-1' });
  });

  it('names each unset variable with its field path', () => {
    const issues = issuesOf(() =>
      parseConfig(
        {
          server: { apiKeys: ['${GATEWAY_KEY}'] },
          providers: [{ name: 'p', type: 'openai', apiKey: '${OPENAI_API_KEY}' }],
        },
        { env: {} },
      ),
    );
    expect(issues).toEqual([
      'server.apiKeys[0]: environment variable GATEWAY_KEY is not set',
      'providers[0].apiKey: environment variable OPENAI_API_KEY is not set',
    ]);
  });
});

describe('interpolateEnv', () => {
  it('leaves keys, numbers and strings without placeholders alone', () => {
    expect(interpolateEnv({ '${KEY}': 1, list: [true, null, 'plain'] }, {})).toEqual({
      value: { '${KEY}': 1, list: [true, null, 'plain'] },
      issues: [],
    });
  });
});

describe('loadConfigFile', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'switchboard-config-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads YAML and JSON by extension', async () => {
    const yamlPath = join(directory, 'gateway.yaml');
    await writeFile(
      yamlPath,
      'server:\n  port: 9000\nproviders:\n  - name: demo\n    type: mock\n    models: ["*"]\n    apiKey: ${DEMO_KEY}\n',
    );
    const fromYaml = await loadConfigFile(yamlPath, { env: { DEMO_KEY: 'k' } });
    expect(fromYaml.server.port).toBe(9000);
    expect(fromYaml.providers[0]).toMatchObject({ name: 'demo', apiKey: 'k' });

    const jsonPath = join(directory, 'gateway.json');
    await writeFile(jsonPath, JSON.stringify({ router: { strategy: 'round_robin' } }));
    expect((await loadConfigFile(jsonPath, { env: {} })).router.strategy).toBe('round_robin');
  });

  it('explains unreadable, unparsable and unsupported files', async () => {
    await expect(loadConfigFile(join(directory, 'missing.yaml'))).rejects.toThrow(/file not found/);
    const broken = join(directory, 'broken.json');
    await writeFile(broken, '{"server": ');
    await expect(loadConfigFile(broken)).rejects.toThrow(/not valid JSON/);
    const brokenYaml = join(directory, 'broken.yml');
    await writeFile(brokenYaml, 'server: [1, 2\n');
    await expect(loadConfigFile(brokenYaml)).rejects.toThrow(/not valid YAML/);
    await expect(loadConfigFile(join(directory, 'gateway.toml'))).rejects.toThrow(/unsupported config file extension/);
    const list = join(directory, 'list.yaml');
    await writeFile(list, '- 1\n- 2\n');
    await expect(loadConfigFile(list)).rejects.toThrow(/object at the top level/);
  });

  it('puts the file name and every issue in the error message', async () => {
    const path = join(directory, 'bad.yaml');
    await writeFile(path, 'providers:\n  - name: a\n    type: openai\n    baseURL: nope\n');
    const error = (await loadConfigFile(path, { env: {} }).catch((caught: unknown) => caught)) as ConfigError;
    expect(error.message).toContain(path);
    expect(error.message).toContain('providers[0].baseURL: Invalid URL');
  });
});

describe('demoConfig', () => {
  it('serves the demo models with mock providers when no API key is set', () => {
    const config = demoConfig({});
    expect(config.providers.every((provider) => provider.type === 'mock')).toBe(true);
    const models = new Set(config.providers.flatMap((provider) => provider.models));
    for (const model of ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-5', 'demo']) expect(models.has(model)).toBe(true);
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8787 });
  });

  it('adds the real providers when their keys are set', () => {
    const config = demoConfig({ OPENAI_API_KEY: 'sk-openai', ANTHROPIC_API_KEY: 'sk-ant' });
    expect(config.providers.find((provider) => provider.type === 'openai')).toMatchObject({
      name: 'openai',
      apiKey: 'sk-openai',
      models: ['gpt-4o-mini', 'gpt-4o'],
    });
    expect(config.providers.find((provider) => provider.type === 'anthropic')).toMatchObject({
      name: 'anthropic',
      apiKey: 'sk-ant',
      models: ['claude-sonnet-4-5'],
    });
    expect(config.providers.some((provider) => provider.models.includes('demo'))).toBe(true);
  });
});
