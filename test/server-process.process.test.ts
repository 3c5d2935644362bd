import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnGateway, type ChildServer } from './support/child-server.ts';

let directory: string;
let running: ChildServer | undefined;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'switchboard-process-'));
});
afterEach(async () => {
  if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
  await rm(directory, { recursive: true, force: true });
});

async function writeConfig(name: string, content: unknown): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const SLOW_STREAM_CONFIG = {
  router: { healthCheck: { intervalMs: 0 } },
  providers: [
    { name: 'slow', type: 'mock', models: ['slow-model'], chunkDelayMs: 60, words: 12, reply: 'one two three' },
  ],
};

describe('the server process', () => {
  it('finishes an in-flight stream after SIGTERM, then exits 0', async () => {
    running = spawnGateway(['--config', await writeConfig('slow.json', SLOW_STREAM_CONFIG), '--port', '0']);
    const url = await running.url;
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow-model', stream: true, messages: [{ role: 'user', content: 'go' }] }),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('data: ');

    running.child.kill('SIGTERM');
    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const exit = await running.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('SIGTERM');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('serves the embedded demo config without --config, and SIGINT exits 0', async () => {
    running = spawnGateway(['--port=0']);
    const url = await running.url;
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(response.status).toBe(200);
    expect(
      ((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content,
    ).toContain('Hello');
    const exit = running.exited;
    running.child.kill('SIGINT');
    const result = await exit;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/curl -s http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/);
  });

  it('prints each bad field and exits 1 for an invalid config file', async () => {
    const path = await writeConfig(
      'bad.yaml',
      [
        'router:',
        '  strategy: fastest',
        'providers:',
        '  - name: a',
        '    type: openai',
        '    baseURL: https://example.com/v1',
        '  - name: b',
        '    type: openai',
        '    baseURL: not a url',
        '',
      ].join('\n'),
    );
    running = spawnGateway(['--config', path, '--port', '0']);
    const exit = await running.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('providers[1].baseURL: Invalid URL');
    expect(exit.stderr).toContain('router.strategy:');
  });

  it('names an unset environment variable and its field, and exits 1', async () => {
    const path = await writeConfig(
      'env.yaml',
      ['providers:', '  - name: a', '    type: openai', '    apiKey: ${SWITCHBOARD_TEST_UNSET_KEY}', ''].join('\n'),
    );
    running = spawnGateway(['--config', path, '--port', '0']);
    const exit = await running.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('providers[0].apiKey: environment variable SWITCHBOARD_TEST_UNSET_KEY is not set');
  });

  it('exits 0 under npm start when npm gets SIGTERM', async () => {
    running = spawnGateway(['--', '--config', await writeConfig('slow.json', SLOW_STREAM_CONFIG), '--port', '0'], {
      file: 'npm',
      args: ['start', '--silent'],
    });
    const url = await running.url;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    running.child.kill('SIGTERM');
    const exit = await running.exited;
    expect(exit.code).toBe(0);
  });
});
