/**
 * Issue 12, "Why" 7 and 11: requests Node's HTTP parser rejects get an OpenAI-shaped JSON body with
 * their status; the listen queue is 4096 deep (not Node's 511); a client dribbling its headers is cut
 * within `headersTimeoutMs`. Raw TCP sockets against the listening gateway.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../bootstrap.ts';
import { silentLogger } from '../../src/gateway/request-log.ts';

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(server: Record<string, unknown> = {}): Promise<RunningServer> {
  running = await startServer({
    config: { server, providers: [{ name: 'demo', type: 'mock', models: ['*'], latencyMs: 0 }] },
    port: 0,
    logger: silentLogger,
  });
  return running;
}

/** Writes `raw` (or its pieces, one per `gapMs`) and resolves with everything read until the server closes. */
function exchange(port: number, raw: string | string[], gapMs = 0): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const pieces = typeof raw === 'string' ? [raw] : [...raw];
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const writeNext = () => {
      const piece = pieces.shift();
      if (piece === undefined || socket.destroyed) return;
      socket.write(piece);
      timer = setTimeout(writeNext, gapMs);
    };
    socket.on('connect', writeNext);
    socket.on('data', (data) => (text += data.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close after 20 s; got ${JSON.stringify(text.slice(0, 200))}`));
    }, 20_000).unref();
  });
}

function parse(text: string): { status: number; body: { error: { message: string; type: string; code: string } } } {
  const [head, body = ''] = text.split('\r\n\r\n');
  expect(head).toMatch(/content-type: application\/json/i);
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head!)?.[1]), body: JSON.parse(body) };
}

describe('requests the HTTP parser rejects', () => {
  it.each([
    ['a header with a control byte', 'GET /health HTTP/1.1\r\nHost: a\r\nX-Bad: a\u0001b\r\n\r\n', 400],
    ['64 KB of headers', `GET /health HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(65_536)}\r\n\r\n`, 431],
    ['content-length: 1e400', 'POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\ncontent-length: 1e400\r\n\r\n', 413],
    [
      'a content-length past 2^64',
      'POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\ncontent-length: 99999999999999999999999999\r\n\r\n',
      413,
    ],
    ['HTTP/1.0 without Host', 'GET /health HTTP/1.0\r\n\r\n', 400],
    ['HTTP/1.1 without Host', 'GET /health HTTP/1.1\r\n\r\n', 400],
  ])('%s → an OpenAI-shaped JSON error with its status', async (_name, raw, status) => {
    const { port } = await start();
    const { text } = await exchange(port, raw);
    const answer = parse(text);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', message: expect.any(String) });
    // The gateway keeps serving.
    expect((await fetch(`${running!.url}/health`)).status).toBe(200);
  });

  it('cuts a client dribbling its headers one byte a second within headersTimeoutMs, with 408', async () => {
    const { port } = await start({ headersTimeoutMs: 1_500 });
    const request = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(40) + '\r\n\r\n';
    const { text, closedAfterMs } = await exchange(port, [...request], 1_000);
    expect(parse(text).status).toBe(408);
    // 1.5 s of timeout plus at most one 1 s check interval, far below the ~60 s the dribble would take.
    expect(closedAfterMs).toBeLessThan(5_000);
  });
});

describe('listen queue and connection limits', () => {
  it('listens with a backlog of server.backlog (default 4096), not Node’s 511', async () => {
    const { port } = await start();
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const listening = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' })
      .trim()
      .split(/\s+/);
    // ss prints State, Recv-Q, Send-Q (the backlog of a listening socket), Local, Peer.
    expect(Number(listening[2])).toBe(Math.min(4096, somaxconn));
    await running!.close();
    const custom = await start({ backlog: 1000, maxConnections: 50 });
    const customListening = execFileSync('ss', ['-ltnH', `sport = :${custom.port}`], { encoding: 'utf8' })
      .trim()
      .split(/\s+/);
    expect(Number(customListening[2])).toBe(Math.min(1000, somaxconn));
    expect(custom.server.maxConnections).toBe(50);
  });

  it('serves 1,000 clients connecting at once', async () => {
    const { port } = await start();
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, () =>
        exchange(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
      ),
    );
    expect(answers.filter((answer) => answer.text.startsWith('HTTP/1.1 200'))).toHaveLength(1_000);
  });
});
