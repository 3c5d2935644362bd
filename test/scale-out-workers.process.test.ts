/**
 * One gateway process with `server.workers: 2` (node:cluster, one port) and no Redis: the
 * workers share circuits through the primary, and `/metrics` counts every worker's requests.
 */
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../src/state/test-support/wait-for.ts';
import { spawnGateway, type ChildServer } from './support/child-server.ts';

/** The gateway as one node process (tsx as a loader, not a wrapper process), so a kill by PID leaves no orphan. */
const GATEWAY_COMMAND = { file: process.execPath, args: ['--import', 'tsx', 'cli/switchboard.ts'] };
import { errorScript, startOpenAIUpstream, type OpenAIUpstream } from './support/openai-upstream.ts';

let directory: string;
let running: ChildServer;
let url: string;
let healthy: OpenAIUpstream;
let dead: OpenAIUpstream;

/** One chat completion on a fresh connection, so the cluster hands it to the next worker in turn. */
function chat(model: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });
    const outgoing = request(
      `${url}/v1/chat/completions`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', connection: 'close' } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The distinct workers (their loop-guard ids) that sent `upstream` a chat completion. */
function workersSeenBy(upstream: OpenAIUpstream): Set<string> {
  return new Set(
    upstream.calls
      .filter((call) => call.url.includes('/chat/completions'))
      .map((call) => String(call.headers['x-switchboard-via'])),
  );
}

function chatCalls(upstream: OpenAIUpstream): number {
  return upstream.calls.filter((call) => call.url.includes('/chat/completions')).length;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'switchboard-workers-'));
  healthy = await startOpenAIUpstream('healthy');
  dead = await startOpenAIUpstream('dead');
  dead.setDefault(errorScript(500));
  const path = join(directory, 'workers.json');
  await writeFile(
    path,
    JSON.stringify({
      server: { workers: 2 },
      router: {
        healthCheck: { intervalMs: 0 },
        retry: { sameProvider: 0 },
        maxAttempts: 1,
        circuitBreaker: { consecutiveFailureLimit: 2, openTimeoutMs: 60_000 },
      },
      providers: [
        { name: 'healthy', type: 'openai', apiKey: 'sk-test', baseURL: healthy.baseURL, models: ['ok-model'] },
        { name: 'dead', type: 'openai', apiKey: 'sk-test', baseURL: dead.baseURL, models: ['dead-model'] },
      ],
    }),
  );
  running = spawnGateway(['--config', path, '--port', '0'], GATEWAY_COMMAND);
  url = await running.url;
  // The first worker greets; wait until the second serves too.
  await waitFor(
    async () => {
      expect(await chat('ok-model')).toBe(200);
      return workersSeenBy(healthy).size === 2;
    },
    90_000,
    'both workers serving',
    50,
  );
}, 150_000);

afterAll(async () => {
  if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGTERM');
    await running.exited;
  }
  await healthy?.close();
  await dead?.close();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

describe('a gateway process with workers: 2', () => {
  it('counts in /metrics every request served by either worker', async () => {
    const before = chatCalls(healthy);
    for (let index = 0; index < 10; index += 1) expect(await chat('ok-model')).toBe(200);
    const served = chatCalls(healthy);
    expect(served - before).toBe(10);
    expect(workersSeenBy(healthy).size).toBe(2);

    const text = await (await fetch(`${url}/metrics`)).text();
    const counted =
      /^switchboard_requests_total\{provider="healthy",model="ok-model",status="200",stream="false"\} (\d+)/m.exec(
        text,
      );
    expect(Number(counted?.[1])).toBe(served);
    expect(text).toMatch(/^switchboard_state_backend_up 1$/m);
  });

  it('keeps a circuit opened through one worker open for the other', async () => {
    const statuses: number[] = [];
    // Fresh connections alternate between the workers: without sharing, each would need its own 2 failures.
    while (!statuses.includes(503)) {
      statuses.push(await chat('dead-model'));
      expect(statuses.length).toBeLessThan(10);
    }
    const callsWhenOpen = chatCalls(dead);
    expect(callsWhenOpen).toBeLessThanOrEqual(3);

    for (let index = 0; index < 6; index += 1) expect(await chat('dead-model')).toBe(503);
    expect(chatCalls(dead)).toBe(callsWhenOpen);
    // Both workers kept serving the healthy model meanwhile.
    for (let index = 0; index < 4; index += 1) expect(await chat('ok-model')).toBe(200);
    expect(workersSeenBy(healthy).size).toBe(2);
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    running.child.kill('SIGTERM');
    const exit = await running.exited;
    expect(exit.code, `${exit.stdout}\n${exit.stderr}`).toBe(0);
  });
});
