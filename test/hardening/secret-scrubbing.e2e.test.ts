/**
 * Issue 12, "Why" 3: upstream keys never leak, whether the upstream echoes them in an HTTP error
 * body, in an error event mid-stream, or in an error event that comes first (and becomes the HTTP
 * error). Through real sockets: scripted upstreams, the gateway, the `openai` client and raw fetch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestLogRecord } from '../../src/gateway/request-log.ts';
import { startHarness, userRequest, type Harness } from '../support/gateway-harness.ts';
import { chunkBody, errorScript } from '../support/openai-upstream.ts';

const KEY = 'sk-upstream-primary'; // the harness's key of provider `primary`
const LEAKS = [KEY, 'Bearer tok_abcdefgh123', 'x-api-key: zz-secret-9876', 'sk-other-leaked-key-123456'];
const LEAKY_MESSAGE = `bad key ${KEY}; Authorization: ${LEAKS[1]}; ${LEAKS[2]}; also ${LEAKS[3]}`;

let harness: Harness | undefined;
let logs: RequestLogRecord[] = [];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  logs = [];
});

async function start(): Promise<Harness> {
  harness = await startHarness({
    upstreams: [{ name: 'primary' }],
    router: { maxAttempts: 1 },
    bootstrap: { logger: (record) => logs.push(record) },
  });
  return harness;
}

function expectNoLeak(text: string): void {
  for (const leak of LEAKS) expect(text).not.toContain(leak.split(' ').at(-1)!);
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('secrets from upstreams are scrubbed', () => {
  it('from an HTTP error body passed through', async () => {
    const { url, upstreams } = await start();
    upstreams.primary!.enqueue(errorScript(400, LEAKY_MESSAGE));
    const response = await post(url, userRequest());
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('bad key ***');
    expectNoLeak(text);
    expectNoLeak(JSON.stringify(logs));
  });

  it('from an error event in the middle of a stream', async () => {
    const { url, upstreams } = await start();
    upstreams.primary!.enqueue({
      kind: 'stream',
      steps: [
        { chunk: chunkBody('Hel') },
        { chunk: { error: { message: LEAKY_MESSAGE, type: 'server_error', code: 500 } } },
      ],
      then: 'hang',
    });
    const response = await post(url, { ...userRequest(), stream: true });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('Hel');
    expect(text).toContain('"error"');
    expect(text).not.toContain('[DONE]');
    expectNoLeak(text);
    expectNoLeak(JSON.stringify(logs));
  });

  it('from an error event that comes first and becomes the HTTP error', async () => {
    const { url, upstreams } = await start();
    upstreams.primary!.enqueue({
      kind: 'stream',
      steps: [{ chunk: { error: { message: LEAKY_MESSAGE, type: 'server_error', code: 503 } } }],
      then: 'hang',
    });
    const response = await post(url, { ...userRequest(), stream: true });
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text).toContain('bad key ***');
    expectNoLeak(text);
    expectNoLeak(JSON.stringify(logs));
  });

  it('from a malformed event quoting the key (a protocol failure)', async () => {
    const { url, upstreams } = await start();
    upstreams.primary!.enqueue({ kind: 'stream', steps: [{ raw: `data: ["${KEY}"]\n\n` }], then: 'hang' });
    const response = await post(url, { ...userRequest(), stream: true });
    expect(response.status).toBe(502);
    expectNoLeak(await response.text());
    expectNoLeak(JSON.stringify(logs));
  });
});
