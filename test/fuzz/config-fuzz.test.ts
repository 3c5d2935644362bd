/**
 * Issue 12, "Must show": property-based fuzzing of config files. Any YAML or JSON text, any JSON
 * value of any shape, a deeply nested config and mutations of a valid config either load, or fail
 * with a `ConfigurationError` whose issues each name a path — never another error, a stack
 * overflow or a hang; a config that loads also starts (`bootstrap`) or fails the same way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { bootstrap } from '../../bootstrap.ts';
import { ConfigurationError } from '../../src/contract/configuration-error.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/gateway/request-log.ts';
import { FUZZ_SECONDS, fuzzParameters } from '../support/fuzz-settings.ts';

const PROPERTY_TIMEOUT_MS = FUZZ_SECONDS * 1_000 + 20_000;
const directory = mkdtempSync(join(tmpdir(), 'switchboard-config-fuzz-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A valid config using every section, the base of the mutations. */
const VALID_CONFIG = {
  server: {
    host: '127.0.0.1',
    port: 8787,
    apiKeys: ['sb-key'],
    adminToken: 'admin-token',
    maxBodyBytes: 1_048_576,
    rateLimit: { requestsPerMinute: 60, burst: 10 },
    logLevel: 'warn',
    failedAuthLimit: { perMinute: 30 },
    admin: { allowedUpstreams: ['*.openai.com', 'api.anthropic.com'] },
  },
  router: {
    strategy: 'round_robin',
    circuitBreaker: { failureRateThreshold: 0.5, consecutiveFailureLimit: 5, openTimeoutMs: 30_000 },
    healthCheck: { intervalMs: 0, timeoutMs: 5_000 },
    maxAttempts: 3,
    fallbacks: { smart: ['gpt-4o-mini'] },
    retry: { sameProvider: 1, backoffMs: 200 },
  },
  providers: [
    {
      name: 'openai',
      type: 'openai',
      baseURL: 'http://127.0.0.1:9/v1',
      apiKey: 'sk-config-fuzz',
      models: ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }],
      headers: { 'x-team': 'fuzz' },
      pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 },
      maxResponseBytes: 1_048_576,
    },
    {
      name: 'claude',
      type: 'anthropic',
      baseURL: 'http://127.0.0.1:9',
      models: ['claude-sonnet-4-5'],
      defaultMaxTokens: 1024,
    },
    { name: 'demo', type: 'mock', models: ['*'], latencyMs: 0, reply: 'hi' },
  ],
};

let fileNumber = 0;

/** Writes `text` to a fresh file with `extension` and loads it. */
function load(text: string, extension: '.json' | '.yaml' | '.yml') {
  fileNumber += 1;
  const path = join(directory, `config-${fileNumber}${extension}`);
  writeFileSync(path, text);
  return loadConfigFile(path, { env: { SET_VARIABLE: 'value' } });
}

/** Every failure must be a `ConfigurationError` whose issues each carry a path string and a message. */
function expectConfigurationError(error: unknown): void {
  if (!ConfigurationError.isInstance(error))
    throw new Error(`not a ConfigurationError: ${String(error)}`, { cause: error });
  if (error.issues.length === 0) throw new Error('a ConfigurationError without issues');
  for (const issue of error.issues) {
    if (typeof issue.path !== 'string' || typeof issue.message !== 'string' || issue.message.length === 0)
      throw new Error(`an issue without a path or a message: ${JSON.stringify(issue)}`);
  }
}

/** Loads the text; a config that loads is bootstrapped (health checks off) and closed. */
async function expectLoadsOrNamesIssues(text: string, extension: '.json' | '.yaml' | '.yml'): Promise<void> {
  let config;
  try {
    config = await load(text, extension);
  } catch (error) {
    expectConfigurationError(error);
    return;
  }
  config.router.healthCheck.intervalMs = 0;
  try {
    const app = await bootstrap({ config, logger: silentLogger });
    await app.close();
  } catch (error) {
    expectConfigurationError(error);
  }
}

/** Any JSON value, any unicode, including `${…}` placeholders and keys of the real schema. */
const anyValue = fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' });
const placeholder = fc.constantFrom('${SET_VARIABLE}', '${UNSET_VARIABLE}', '${', '$${X}', '${1}');
const schemaKey = fc.constantFrom(
  'server',
  'router',
  'providers',
  'name',
  'type',
  'models',
  'baseURL',
  'apiKey',
  'headers',
  'pricing',
  '__proto__',
  'constructor',
  'toString',
);

/** Every path of a JSON value (objects' keys and arrays' indexes), root excluded. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((child, index) => [index, child])
    : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}
const VALID_PATHS = pathsOf(VALID_CONFIG);

type Mutation =
  | { kind: 'replace'; path: number; value: unknown }
  | { kind: 'delete'; path: number }
  | { kind: 'add'; path: number; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('replace' as const),
    path: fc.nat(),
    value: fc.oneof(anyValue, placeholder, fc.constantFrom(-1, 0, 1e308, '', '0', 'NaN', null, [], {})),
  }),
  fc.record({ kind: fc.constant('delete' as const), path: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    path: fc.nat(),
    key: fc.oneof(schemaKey, fc.string({ unit: 'binary', maxLength: 20 })),
    value: anyValue,
  }),
);

/** A copy of the valid config with the mutations applied (each at one of its paths). */
function mutate(mutations: Mutation[]): unknown {
  const config = structuredClone(VALID_CONFIG) as Record<string | number, unknown>;
  for (const change of mutations) {
    const path = VALID_PATHS[change.path % VALID_PATHS.length]!;
    let parent: unknown = config;
    for (const segment of path.slice(0, -1)) {
      if (parent === null || typeof parent !== 'object') break;
      parent = (parent as Record<string | number, unknown>)[segment];
    }
    if (parent === null || typeof parent !== 'object') continue;
    const target = parent as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (change.kind === 'delete') delete target[last];
    else if (change.kind === 'replace') target[last] = change.value;
    else {
      const holder = target[last];
      if (holder !== null && typeof holder === 'object' && !Array.isArray(holder))
        Object.defineProperty(holder, change.key, {
          value: change.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
  }
  return config;
}

describe('fuzzed config files never crash the loader', () => {
  it('loads the valid base config, so the mutations start from something that works', async () => {
    await expect(load(JSON.stringify(VALID_CONFIG), '.json')).resolves.toMatchObject({ router: { maxAttempts: 3 } });
    await expect(load(toYaml(VALID_CONFIG), '.yaml')).resolves.toMatchObject({ router: { maxAttempts: 3 } });
  });

  it('names a path for a config nested twenty thousand deep, in JSON and YAML, and bootstrap refuses it the same way', async () => {
    const depth = 20_000;
    const deepJson = `{"providers":[{"name":"a","type":"mock","extra":${'['.repeat(depth)}${']'.repeat(depth)}}]}`;
    const deepObjects = `{"server":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    const deepYaml = `providers:\n  - name: a\n    type: mock\n    extra: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    for (const [text, extension] of [
      [deepJson, '.json'],
      [deepObjects, '.json'],
      [deepYaml, '.yaml'],
    ] as const) {
      const error = await load(text, extension).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expectConfigurationError(error);
    }
    const path = join(directory, 'deep-start.json');
    writeFileSync(path, deepJson);
    const error = await bootstrap({ configPath: path, env: {}, logger: silentLogger }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expectConfigurationError(error);
    expect((error as ConfigurationError).issues[0]!.path).toMatch(/^providers\[0\]\.extra\[0\]/);
    expect((error as ConfigurationError).issues[0]!.message).toMatch(/nested more than \d+ levels deep/);
  });

  it('refuses a YAML alias bomb and a self-referencing alias with a ConfigurationError', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level += 1) {
      levels.push(
        `${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + level)}`)
          .join(',')}]`,
      );
    }
    for (const text of [
      `server:\n  x:\n${levels.map((line) => `    ${line}`).join('\n')}\n`,
      'server: &s\n  self: *s\n',
    ]) {
      const error = await load(text, '.yaml').then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expectConfigurationError(error);
    }
  });

  it(
    'loads or names the issues of any JSON value, as JSON or YAML',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyValue, fc.boolean(), (value, asYaml) =>
          asYaml
            ? expectLoadsOrNamesIssues(toYaml(value), '.yaml')
            : expectLoadsOrNamesIssues(JSON.stringify(value), '.json'),
        ),
        fuzzParameters(300),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'loads or names the issues of any text, as JSON or YAML',
    async () => {
      const yamlish = fc
        .array(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 12 }),
            fc.constantFrom(':', '- ', '\n', '  ', '&a ', '*a', '!!', '{', '[', '"', '#', '---\n', '? '),
          ),
          {
            maxLength: 40,
          },
        )
        .map((parts) => parts.join(''));
      // The YAML parser warns on odd tags through process warnings: expected here, and noise in the test output.
      const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      onTestFinished(() => warnings.mockRestore());
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(yamlish, fc.string({ unit: 'binary', maxLength: 400 })),
          fc.constantFrom('.json' as const, '.yaml' as const, '.yml' as const),
          (text, extension) => expectLoadsOrNamesIssues(text, extension),
        ),
        fuzzParameters(300),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'loads or names a path for each issue of a valid config with fields replaced, removed or added',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          fc.boolean(),
          async (mutations, asYaml) => {
            const config = mutate(mutations);
            const text = asYaml ? toYaml(config) : JSON.stringify(config);
            let loaded = true;
            try {
              await load(text, asYaml ? '.yaml' : '.json');
            } catch (error) {
              loaded = false;
              expectConfigurationError(error);
              // The mutations are below the top level: each issue names the field it concerns.
              for (const issue of (error as ConfigurationError).issues)
                if (issue.path === '') throw new Error(`an issue without a path: ${issue.message}`, { cause: error });
            }
            if (loaded) await expectLoadsOrNamesIssues(text, asYaml ? '.yaml' : '.json');
          },
        ),
        fuzzParameters(400),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
