/**
 * Two gateway processes sharing router state through a real redis-server (started by the test
 * on a free port): circuits, 429 cool-downs, admin switches and rate-limit buckets are shared;
 * a Redis outage leaves both serving on local state, and sharing resumes when it returns.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type TestRedisServer } from '../src/state/test-support/redis-server.ts';
import { waitFor } from '../src/state/test-support/wait-for.ts';
import { spawnGateway, type ChildServer } from './support/child-server.ts';

/** The gateway as one node process (tsx as a loader, not a wrapper process), so a kill by PID leaves no orphan. */
const GATEWAY_COMMAND = { file: process.execPath, args: ['--import', 'tsx', 'cli/switchboard.ts'] };
import { errorScript, startOpenAIUpstream, type OpenAIUpstream } from './support/openai-upstream.ts';

const ADMIN_TOKEN = 'admin-secret';
const MODELS = ['outage-model', 'admin-model', 'cool-model', 'ok-model', 'late-outage-model'] as const;

let redis: TestRedisServer;
let directory: string;
const upstreams = new Map<string, OpenAIUpstream>();
const children: ChildServer[] = [];

/** Chat completions the upstream serving `model` received. */
function callsTo(model: string): number {
  return upstreams.get(model)!.calls.filter((call) => call.url.includes('/chat/completions')).length;
}

function chat(url: string, model: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

async function admin(url: string, path: string, method = 'GET'): Promise<any> {
  const response = await fetch(`${url}/admin${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return response.json();
}

async function deploymentCircuit(url: string, model: string): Promise<string> {
  const view = await admin(url, `/providers/${model}-provider`);
  return view.health.deployments[model]?.circuitState ?? view.health.circuitState;
}

async function backendUp(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^switchboard_state_backend_up (\d)/m.exec(text);
  return match === null ? undefined : Number(match[1]);
}

/** Starts two gateways on `config` (written to a file) and resolves with their URLs. */
async function startPair(name: string, config: unknown): Promise<[string, string]> {
  const path = join(directory, `${name}.json`);
  await writeFile(path, JSON.stringify(config));
  const pair = [
    spawnGateway(['--config', path, '--port', '0'], GATEWAY_COMMAND),
    spawnGateway(['--config', path, '--port', '0'], GATEWAY_COMMAND),
  ];
  children.push(...pair);
  const urls = (await Promise.all(pair.map((child) => child.url))) as [string, string];
  await Promise.all(urls.map((url) => waitFor(async () => (await backendUp(url)) === 1, 10_000, 'redis connected')));
  return urls;
}

beforeAll(async () => {
  redis = await startRedisServer();
  directory = await mkdtemp(join(tmpdir(), 'switchboard-scale-out-'));
  for (const model of MODELS) upstreams.set(model, await startOpenAIUpstream(model));
});

afterAll(async () => {
  await Promise.all(
    children.map(async (child) => {
      if (child.child.exitCode === null && child.child.signalCode === null) {
        child.child.kill('SIGKILL');
        await child.exited;
      }
    }),
  );
  await Promise.all([...upstreams.values()].map((upstream) => upstream.close()));
  await redis?.stop();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

describe('two gateway processes on one Redis', () => {
  let first: string;
  let second: string;

  beforeAll(async () => {
    [first, second] = await startPair('fleet', {
      server: { adminToken: ADMIN_TOKEN },
      state: { redis: { url: redis.url, keyPrefix: 'fleet:' } },
      router: {
        healthCheck: { intervalMs: 0 },
        retry: { sameProvider: 0 },
        maxAttempts: 1,
        circuitBreaker: { consecutiveFailureLimit: 2, openTimeoutMs: 60_000 },
      },
      providers: MODELS.map((model) => ({
        name: `${model}-provider`,
        type: 'openai',
        apiKey: 'sk-test',
        baseURL: upstreams.get(model)!.baseURL,
        models: [model],
      })),
    });
  });

  it('opens the circuit on the other within 1 s of an outage seen through one, with no traffic from the other', async () => {
    upstreams.get('outage-model')!.setDefault(errorScript(500));
    for (let index = 0; index < 2; index += 1) expect((await chat(first, 'outage-model')).status).toBeGreaterThan(499);
    expect(callsTo('outage-model')).toBe(2);

    await waitFor(async () => (await deploymentCircuit(second, 'outage-model')) === 'open', 1_000, 'open on the other');
    const answers = await Promise.all([1, 2, 3].map(() => chat(second, 'outage-model')));
    expect(answers.map((answer) => answer.status)).toEqual([503, 503, 503]);
    expect(callsTo('outage-model')).toBe(2);
  });

  it('stops traffic through the other after an admin disable through one', async () => {
    expect((await chat(second, 'admin-model')).status).toBe(200);
    expect(callsTo('admin-model')).toBe(1);
    await admin(first, '/providers/admin-model-provider/disable', 'POST');

    await waitFor(
      async () => (await admin(second, '/providers/admin-model-provider')).enabled === false,
      1_000,
      'disabled',
    );
    expect((await chat(second, 'admin-model')).status).toBe(503);
    expect(callsTo('admin-model')).toBe(1);

    await admin(second, '/providers/admin-model-provider/enable', 'POST');
    await waitFor(
      async () => (await admin(first, '/providers/admin-model-provider')).enabled === true,
      1_000,
      'enabled',
    );
    expect((await chat(first, 'admin-model')).status).toBe(200);
  });

  it('honours on the other a 429 cool-down learnt by one', async () => {
    upstreams.get('cool-model')!.enqueue(errorScript(429, 'slow down', { 'retry-after': '30' }));
    expect((await chat(first, 'cool-model')).status).toBe(429);
    expect(callsTo('cool-model')).toBe(1);

    await waitFor(
      async () =>
        (await admin(second, '/providers/cool-model-provider')).health.deployments['cool-model'].coolingDownUntil > 0,
      1_000,
      'cooling down on the other',
    );
    const answer = await chat(second, 'cool-model');
    expect(answer.status).toBe(429);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(20);
    expect(callsTo('cool-model')).toBe(1);
  });

  it('keeps both serving on local state while Redis is down, and shares again when it is back', async () => {
    await redis.stop();
    for (const url of [first, second]) {
      await waitFor(async () => (await backendUp(url)) === 0, 5_000, 'backend down seen');
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      expect((await chat(url, 'ok-model')).status).toBe(200);
    }

    await redis.start();
    for (const url of [first, second]) await waitFor(async () => (await backendUp(url)) === 1, 10_000, 'backend back');
    upstreams.get('late-outage-model')!.setDefault(errorScript(500));
    for (let index = 0; index < 2; index += 1) await chat(second, 'late-outage-model');
    await waitFor(async () => (await deploymentCircuit(first, 'late-outage-model')) === 'open', 1_000, 'shared again');
    expect((await chat(first, 'late-outage-model')).status).toBe(503);
    expect(callsTo('late-outage-model')).toBe(2);
  });
});

describe('a rate limit shared by two gateway processes', () => {
  it('lets exactly `burst` of 30 requests alternating between them through', async () => {
    const [first, second] = await startPair('limited', {
      server: { rateLimit: { requestsPerMinute: 1, burst: 10 } },
      state: { redis: { url: redis.url, keyPrefix: 'limited:' } },
      router: { healthCheck: { intervalMs: 0 } },
      providers: [{ name: 'mock', type: 'mock', models: ['ok-model'] }],
    });
    const statuses: number[] = [];
    for (let index = 0; index < 30; index += 1)
      statuses.push((await chat(index % 2 === 0 ? first : second, 'ok-model')).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);
  });
});
