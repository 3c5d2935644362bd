/**
 * Regression tests for issue 12's items 4, 5 and 6, through real sockets: the official `openai` client → the
 * gateway → scripted upstreams that misbehave on purpose (comments only, a byte at a time, a line without end,
 * a body without end).
 */
import type { ServerResponse } from 'node:http';
import { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { chunkBody, streamScript, type UpstreamScript } from './support/openai-upstream.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The window of a stream attempt with no content yet; short, so a stuck upstream is left quickly. */
const WINDOW_MS = 400;

async function startPair(): Promise<Harness> {
  return startHarness({
    upstreams: [{ name: 'primary' }, { name: 'secondary' }],
    router: { requestTimeoutMs: WINDOW_MS },
  });
}

async function collect(
  stream: AsyncIterable<{ choices: Array<{ delta: { content?: string | null } }> }>,
): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

/** Writes `text` and waits for the socket to take it; false once the response was closed. */
async function write(response: ServerResponse, text: string | Buffer): Promise<boolean> {
  if (response.destroyed) return false;
  if (response.write(text)) return !response.destroyed;
  await new Promise<void>((resolve) => {
    response.once('drain', resolve);
    response.once('close', resolve);
  });
  return !response.destroyed;
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** An SSE response that writes `next()` every `everyMs` until it returns undefined or the client goes away. */
function dripScript(everyMs: number, next: (step: number) => string | undefined, prefix = ''): UpstreamScript {
  return {
    kind: 'handler',
    async respond(response) {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.flushHeaders();
      if (prefix.length > 0 && !(await write(response, prefix))) return;
      for (let step = 0; ; step++) {
        await sleep(everyMs);
        const text = next(step);
        if (text === undefined || !(await write(response, text))) return;
      }
    },
  };
}

describe('issue 12 item 4: timeouts measure progress, not bytes', () => {
  it('an upstream sending only `: ping` comments is left after the first-token window; the fallback answers', async () => {
    harness = await startPair();
    harness.upstreams.primary!.enqueue(dripScript(50, (step) => (step < 2000 ? ': ping\n\n' : undefined)));
    harness.upstreams.secondary!.enqueue(streamScript(['from ', 'secondary']));
    const { data: stream, response } = await harness.client.chat.completions
      .create({ ...userRequest(), stream: true })
      .withResponse();
    expect(await collect(stream)).toBe('from secondary');
    expect(response.headers.get('x-switchboard-provider')).toBe('secondary');
    // 2000 pings × 50 ms would hold the request 100 s (past the test's timeout) if they counted as progress.
    const call = harness.upstreams.primary!.calls[0]!;
    await call.socketClosed;
    expect(call.closedEarly).toBe(true);
  });

  it('an upstream dripping a byte every 100 ms is left after the first-token window; the fallback answers', async () => {
    harness = await startPair();
    const line = `data: ${JSON.stringify(chunkBody('never complete'))}`.repeat(10);
    harness.upstreams.primary!.enqueue(dripScript(100, (step) => line[step]));
    harness.upstreams.secondary!.enqueue(streamScript(['from ', 'secondary']));
    const { data: stream, response } = await harness.client.chat.completions
      .create({ ...userRequest(), stream: true })
      .withResponse();
    expect(await collect(stream)).toBe('from secondary');
    expect(response.headers.get('x-switchboard-provider')).toBe('secondary');
    const call = harness.upstreams.primary!.calls[0]!;
    await call.socketClosed;
    expect(call.closedEarly).toBe(true);
  });

  it('after the first token, a drip is cut by the idle window: an error event, no [DONE], and the gateway serves on', async () => {
    harness = await startPair();
    const first = `data: ${JSON.stringify(chunkBody('partial'))}\n\n`;
    harness.upstreams.primary!.enqueue(dripScript(100, (step) => (step < 2000 ? ': ping\n\nd' : undefined), first));
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...userRequest(), stream: true }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain('[DONE]');
    const events = text.split('\n\n').filter((event) => event !== '');
    expect(JSON.parse(events[0]!.slice(6)).choices[0].delta.content).toBe('partial');
    expect(JSON.parse(events.at(-1)!.slice(6)).error).toMatchObject({ code: 'upstream_timeout' });
    const completion = await harness.client.chat.completions.create(userRequest());
    expect(completion.choices[0]?.message.content).toMatch(/^hello from /);
  });
});

describe('issue 12 item 5: a line without a newline is bounded and parsed in linear time', () => {
  it('a 23 MB newline-free line is refused at the 1 MiB event cap, the rest unread; the fallback answers, /health on time', async () => {
    harness = await startPair();
    const piece = 'x'.repeat(64 * 1024);
    const total = 23 * 1024 * 1024;
    let written = 0;
    harness.upstreams.primary!.enqueue({
      kind: 'handler',
      async respond(response) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        if (!(await write(response, 'data: '))) return;
        while (written < total) {
          if (!(await write(response, piece))) return;
          written += piece.length;
        }
      },
    });
    harness.upstreams.secondary!.enqueue(streamScript(['from ', 'secondary']));
    const healthChecks: Array<Promise<number>> = [];
    const checkHealth = () => healthChecks.push(fetch(`${harness!.url}/health`).then((response) => response.status));
    const checker = setInterval(checkHealth, 25);
    try {
      const answer = harness.client.chat.completions.create({ ...userRequest(), stream: true }).withResponse();
      checkHealth(); // at least one check while the line is read, however fast the fallback answers
      const { data: stream, response } = await answer;
      expect(await collect(stream)).toBe('from secondary');
      expect(response.headers.get('x-switchboard-provider')).toBe('secondary');
    } finally {
      clearInterval(checker);
    }
    const call = harness.upstreams.primary!.calls[0]!;
    await call.socketClosed;
    expect(call.closedEarly, 'the upstream connection closed early').toBe(true);
    // 1 MiB parsed, plus what the loopback socket buffers took (they grow to several MB): never the whole line.
    expect(written, 'bytes the upstream could write before its connection was closed').toBeLessThan(total);
    expect(new Set(await Promise.all(healthChecks)), '/health statuses meanwhile').toEqual(new Set([200]));
  });
});

describe('issue 12 item 6: non-streamed bodies are bounded while they are read', () => {
  it('a 200 MB reply is refused at maxResponseBytes (64 MiB by default): 502, RSS bounded, the gateway serves on', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const piece = Buffer.alloc(1024 * 1024, 0x20);
    const total = 200 * 1024 * 1024;
    let written = 0;
    harness.upstreams.primary!.enqueue({
      kind: 'handler',
      async respond(response) {
        // No content-length: the limit must be found while reading.
        response.writeHead(200, { 'content-type': 'application/json' });
        if (!(await write(response, '{"id":"x","choices":[],"padding":"'))) return;
        while (written < total) {
          if (!(await write(response, piece))) return;
          written += piece.length;
        }
        response.end('"}');
      },
    });
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    let failure: unknown;
    try {
      await harness.client.chat.completions.create(userRequest());
    } catch (error) {
      failure = error;
    } finally {
      clearInterval(sampler);
    }
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).status).toBe(502);
    expect((failure as APIError).code).toBe('upstream_protocol_error');
    expect(written).toBeLessThan(total);
    // Unbounded buffering took RSS from 113 MB to 1.1 GB for one such reply.
    expect(peak - before).toBeLessThan(256 * 1024 * 1024);
    const next = await harness.client.chat.completions.create(userRequest());
    expect(next.choices[0]?.message.content).toBe('hello from primary');
  });
});
