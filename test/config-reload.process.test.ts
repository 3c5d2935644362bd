import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnGateway, type ChildServer } from './support/child-server.ts';

let directory: string;
let running: ChildServer | undefined;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'switchboard-sighup-'));
});
afterEach(async () => {
  if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
  await rm(directory, { recursive: true, force: true });
});

/** A config with one mock provider serving `model`. */
function configServing(provider: string, model: string): object {
  return {
    router: { healthCheck: { intervalMs: 0 } },
    providers: [{ name: provider, type: 'mock', models: [model], reply: `from ${provider}` }],
  };
}

/** Resolves with the first JSON log line of the child whose `msg` is `message`. */
function nextLogLine(child: ChildServer['child'], message: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let buffered = '';
    const onData = (text: string) => {
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.msg !== message) continue;
        child.stdout!.off('data', onData);
        resolve(record);
        return;
      }
    };
    child.stdout!.on('data', onData);
  });
}

async function ask(url: string, model: string): Promise<{ status: number; content?: string }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }] }),
  });
  const body = (await response.json()) as { choices?: Array<{ message: { content: string } }> };
  return { status: response.status, content: body.choices?.[0]?.message.content };
}

describe('SIGHUP', () => {
  it('reloads the config file; an invalid one is logged at error and the old config stays', async () => {
    const path = join(directory, 'switchboard.json');
    await writeFile(path, JSON.stringify(configServing('first', 'model-a')));
    // One process, so SIGHUP reaches the gateway (the tsx CLI relays only SIGINT and SIGTERM to
    // its child); and JSON log lines, which a child told it runs under vitest would not write.
    running = spawnGateway(
      ['--config', path, '--port', '0'],
      { file: process.execPath, args: ['--import', 'tsx', 'cli/switchboard.ts'] },
      { VITEST: undefined },
    );
    const url = await running.url;
    expect(await ask(url, 'model-a')).toMatchObject({ status: 200 });

    await writeFile(path, JSON.stringify(configServing('second', 'model-b')));
    const reloaded = nextLogLine(running.child, 'config reloaded');
    running.child.kill('SIGHUP');
    expect(await reloaded).toMatchObject({
      level: 'info',
      trigger: 'signal',
      added: ['second'],
      removed: ['first'],
    });
    expect(await ask(url, 'model-b')).toMatchObject({ status: 200 });
    expect((await ask(url, 'model-a')).status).toBe(404);

    await writeFile(path, JSON.stringify({ providers: [{ name: 'third', type: 'mock', weight: -1 }] }));
    const refused = nextLogLine(running.child, 'config reload refused');
    running.child.kill('SIGHUP');
    const line = await refused;
    expect(line).toMatchObject({ level: 'error', trigger: 'signal' });
    expect(line.error).toContain('providers[0].weight');
    expect(await ask(url, 'model-b')).toMatchObject({ status: 200 });

    const exited = running.exited;
    running.child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });
});
