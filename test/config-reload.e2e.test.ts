import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type StartServerOptions } from '../bootstrap.ts';
import { createProvider } from '../providers/index.ts';
import type { RequestLogRecord } from '../src/gateway/request-log.ts';
import { fakeClock, userRequest } from './support/gateway-harness.ts';
import {
  chunkBody,
  completionBody,
  errorScript,
  startOpenAIUpstream,
  type OpenAIUpstream,
} from './support/openai-upstream.ts';

const ADMIN_TOKEN = 'admin-secret';

let directory: string;
let configPath: string;
let running: RunningServer | undefined;
let upstreams: Record<string, OpenAIUpstream> = {};
let logs: RequestLogRecord[] = [];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'switchboard-reload-'));
  configPath = join(directory, 'switchboard.json');
  logs = [];
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
  upstreams = {};
  await rm(directory, { recursive: true, force: true });
});

interface ProviderSpec {
  name: string;
  apiKey?: string;
  weight?: number;
  models?: string[];
}

/** Writes the config file: the named upstreams as `openai` providers, plus `extra` merged in. */
async function writeConfig(providers: ProviderSpec[], extra: { server?: object; router?: object } = {}): Promise<void> {
  for (const { name } of providers) upstreams[name] ??= await startOpenAIUpstream(name);
  const config = {
    server: { adminToken: ADMIN_TOKEN, ...extra.server },
    router: {
      strategy: 'round_robin',
      healthCheck: { intervalMs: 0 },
      retry: { sameProvider: 0 },
      ...extra.router,
    },
    providers: providers.map((provider) => ({
      name: provider.name,
      type: 'openai',
      baseURL: upstreams[provider.name]!.baseURL,
      apiKey: provider.apiKey ?? `sk-${provider.name}-one`,
      models: provider.models ?? ['gpt-4o-mini'],
      weight: provider.weight ?? 1,
    })),
  };
  await writeFile(configPath, JSON.stringify(config));
}

async function start(
  clock?: () => number,
  extra: Partial<StartServerOptions> = {},
): Promise<{ url: string; client: OpenAI }> {
  running = await startServer({
    configPath,
    env: {},
    port: 0,
    host: '127.0.0.1',
    drainTimeoutMs: 2_000,
    logger: (record) => logs.push(record),
    ...(clock !== undefined ? { clock } : {}),
    ...extra,
  });
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 10_000 });
  return { url: running.url, client };
}

async function reload(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/admin/reload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: response.status, body: await response.json() };
}

async function adminProvider(url: string, name: string): Promise<any> {
  const response = await fetch(`${url}/admin/providers/${name}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return response.json();
}

describe('config reload (POST /admin/reload)', () => {
  it('adds a provider: traffic reaches it, and metrics and logs follow it', async () => {
    await writeConfig([{ name: 'primary' }]);
    const { url, client } = await start();
    await client.chat.completions.create(userRequest());
    expect(upstreams.primary!.calls).toHaveLength(1);

    await writeConfig([{ name: 'primary' }, { name: 'secondary' }]);
    const { status, body } = await reload(url);
    expect(status).toBe(200);
    expect(body).toEqual({
      reloaded: true,
      providers: { added: ['secondary'], removed: [], replaced: [], kept: ['primary'] },
      restartRequired: [],
    });

    const answers = [];
    for (let request = 0; request < 4; request += 1)
      answers.push((await client.chat.completions.create(userRequest())).choices[0]?.message.content);
    expect(answers).toContain('hello from secondary');
    expect(answers).toContain('hello from primary');
    expect(upstreams.secondary!.calls.length).toBeGreaterThan(0);

    // The metrics still observe the one router: the new provider's requests are counted.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/provider="secondary"/);
    expect(logs.find((record) => record.msg === 'config reloaded')).toMatchObject({
      level: 'info',
      trigger: 'admin',
      added: ['secondary'],
      kept: ['primary'],
    });
  });

  it('changes a key: the upstream sees the new one; a request under way finishes on the old provider', async () => {
    await writeConfig([{ name: 'primary', apiKey: 'sk-primary-old' }]);
    const { url, client } = await start();
    upstreams.primary!.enqueue({
      kind: 'json',
      delayMs: 300,
      body: completionBody('slow answer'),
    });
    const slow = client.chat.completions.create(userRequest());
    while (upstreams.primary!.calls.length === 0) await new Promise((resolve) => setImmediate(resolve));

    await writeConfig([{ name: 'primary', apiKey: 'sk-primary-new' }]);
    const { status, body } = await reload(url);
    expect(status).toBe(200);
    expect(body.providers).toEqual({ added: [], removed: [], replaced: ['primary'], kept: [] });

    expect((await slow).choices[0]?.message.content).toBe('slow answer');
    await client.chat.completions.create(userRequest());
    expect(upstreams.primary!.calls.map((call) => call.headers.authorization)).toEqual([
      'Bearer sk-primary-old',
      'Bearer sk-primary-new',
    ]);
  });

  it('a stream under way on a replaced provider finishes; its old adapter is closed only then', async () => {
    await writeConfig([{ name: 'primary', apiKey: 'sk-primary-old' }]);
    const closed: string[] = [];
    const { url, client } = await start(undefined, {
      createProvider: (entry) => {
        const adapter = createProvider(entry);
        const close = adapter.close?.bind(adapter);
        const apiKey = (entry as { apiKey?: string }).apiKey ?? '';
        return Object.assign(adapter, {
          close: async () => {
            closed.push(apiKey);
            await close?.();
          },
        });
      },
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    upstreams.primary!.enqueue({
      kind: 'handler',
      async respond(response) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(`data: ${JSON.stringify(chunkBody('Hello'))}\n\n`);
        await released;
        response.write(`data: ${JSON.stringify(chunkBody(' world'))}\n\n`);
        response.end('data: [DONE]\n\n');
      },
    });
    const stream = await client.chat.completions.create({ ...userRequest(), stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0]?.delta.content).toBe('Hello');

    await writeConfig([{ name: 'primary', apiKey: 'sk-primary-new' }]);
    expect((await reload(url)).body.providers.replaced).toEqual(['primary']);
    expect(closed).toEqual([]);

    release();
    let text = 'Hello';
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next())
      text += next.value.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello world');
    while (closed.length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toEqual(['sk-primary-old']);
  });

  it("keeps an unchanged provider's open circuit open (a weight change included)", async () => {
    const clock = fakeClock();
    const breaker = { router: { circuitBreaker: { consecutiveFailureLimit: 2, failureRateThreshold: 1 } } };
    await writeConfig([{ name: 'primary' }, { name: 'secondary' }], breaker);
    const { url, client } = await start(clock.now);
    upstreams.primary!.setDefault(errorScript(503, 'overloaded'));
    for (let request = 0; request < 4; request += 1) await client.chat.completions.create(userRequest());
    expect((await adminProvider(url, 'primary')).health.deployments['gpt-4o-mini'].circuitState).toBe('open');
    const primaryCalls = upstreams.primary!.calls.length;

    await writeConfig(
      [
        { name: 'primary', weight: 3 },
        { name: 'secondary', apiKey: 'sk-secondary-two' },
      ],
      breaker,
    );
    const { status, body } = await reload(url);
    expect(status).toBe(200);
    expect(body.providers).toEqual({ added: [], removed: [], replaced: ['secondary'], kept: ['primary'] });

    const primary = await adminProvider(url, 'primary');
    expect(primary.health.deployments['gpt-4o-mini'].circuitState).toBe('open');
    expect(primary.weight).toBe(3);
    for (let request = 0; request < 3; request += 1)
      expect((await client.chat.completions.create(userRequest())).choices[0]?.message.content).toBe(
        'hello from secondary',
      );
    expect(upstreams.primary!.calls).toHaveLength(primaryCalls);
  });

  it('refuses an invalid file with its field errors, and changes nothing', async () => {
    await writeConfig([{ name: 'primary' }]);
    const { url, client } = await start();
    const valid = JSON.parse(await readFile(configPath, 'utf8'));
    await writeFile(
      configPath,
      JSON.stringify({
        ...valid,
        router: { ...valid.router, maxAttempts: 0 },
        providers: [...valid.providers, { name: 'broken', type: 'nope' }],
      }),
    );

    const { status, body } = await reload(url);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_configuration');
    const paths = body.error.issues.map((issue: { path: string }) => issue.path);
    expect(paths).toContain('router.maxAttempts');
    expect(paths.some((path: string) => path.startsWith('providers[1]'))).toBe(true);
    expect(body.error.message).toMatch(/nothing changed/);

    const providers: any = await (
      await fetch(`${url}/admin/providers`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json();
    expect(providers.data.map((provider: { name: string }) => provider.name)).toEqual(['primary']);
    expect(running!.router.routingOptions().maxAttempts).toBe(3);
    expect((await client.chat.completions.create(userRequest())).choices[0]?.message.content).toBe(
      'hello from primary',
    );
    expect(logs.find((record) => record.msg === 'config reload refused')).toMatchObject({
      level: 'error',
      trigger: 'admin',
    });
  });

  it('applies router settings and removes a provider; reports the settings that need a restart', async () => {
    await writeConfig([{ name: 'primary' }, { name: 'secondary' }]);
    const { url, client } = await start();
    await writeConfig([{ name: 'secondary' }], {
      server: { port: 9 },
      router: { maxAttempts: 1, strategy: 'least_in_flight', hedge: { afterMs: 2_000 } },
    });
    const { status, body } = await reload(url);
    expect(status).toBe(200);
    expect(body.providers).toEqual({ added: [], removed: ['primary'], replaced: [], kept: ['secondary'] });
    expect(body.restartRequired).toEqual(['server.port', 'router.hedge']);
    expect(running!.router.routingOptions().maxAttempts).toBe(1);
    expect(running!.router.strategy).toBe('least_in_flight');
    // Still listening where it was.
    expect((await client.chat.completions.create(userRequest())).choices[0]?.message.content).toBe(
      'hello from secondary',
    );
    expect(upstreams.primary!.calls).toHaveLength(0);
  });

  it('needs the admin token', async () => {
    await writeConfig([{ name: 'primary' }]);
    const { url } = await start();
    expect((await fetch(`${url}/admin/reload`, { method: 'POST' })).status).toBe(401);
  });
});
