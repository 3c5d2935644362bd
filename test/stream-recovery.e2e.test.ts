/**
 * Stream recovery end to end: the official `openai` client against the real gateway, whose
 * providers point at scripted upstreams on real sockets. A primary stream is cut (after 40 of 60
 * tokens) or stalls (after 20); with `streamRecovery: continue` the client must get the whole
 * answer once, with one `[DONE]`, continued by an Anthropic fallback (assistant prefill) or by
 * another OpenAI-compatible provider (fresh request, only the text past what was sent); without
 * it, an error event and no `[DONE]`.
 */
import OpenAI from 'openai';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../bootstrap.ts';
import type { SwitchboardConfigInput } from '../src/config/config-schema.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { silentLogger } from '../src/gateway/request-log.ts';
import {
  chunkBody,
  startOpenAIUpstream,
  streamScript,
  type OpenAIUpstream,
  type StreamStep,
  type UpstreamCall,
  type UpstreamScript,
} from './support/openai-upstream.ts';

const TOKENS = Array.from({ length: 60 }, (_, index) => `t${index + 1} `);
const ANSWER = TOKENS.join('');
const messages = [{ role: 'user' as const, content: 'Count to sixty.' }];

/** The primary's stream: the first `count` tokens, then a cut (connection closed) or a stall (silence). */
function brokenStream(count: number, then: 'reset' | 'hang'): UpstreamScript {
  const steps: StreamStep[] = TOKENS.slice(0, count).map((token) => ({ chunk: chunkBody(token) }));
  // Let the tokens reach the gateway before the connection closes (a destroy drops unflushed writes).
  if (then === 'reset') steps.push({ delayMs: 100 });
  return { kind: 'stream', steps, then };
}

/** Anthropic Messages SSE carrying `text` in a few deltas. */
function anthropicEvents(text: string): string {
  const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  let body = event('message_start', {
    type: 'message_start',
    message: {
      id: 'msg_continuation',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-sonnet-4-5',
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 90, output_tokens: 1 },
    },
  });
  body += event('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  });
  for (let start = 0; start < text.length; start += 12)
    body += event('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: text.slice(start, start + 12) },
    });
  body += event('content_block_stop', { type: 'content_block_stop', index: 0 });
  body += event('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 20 },
  });
  return body + event('message_stop', { type: 'message_stop' });
}

/** The last message of an upstream call when it is the assistant's (Anthropic shape: a string or text blocks). */
function prefillOf(call: UpstreamCall): string | undefined {
  const last = call.body?.messages?.at(-1);
  if (last?.role !== 'assistant') return undefined;
  if (typeof last.content === 'string') return last.content;
  return (last.content as Array<{ text?: string }>).map((block) => block.text ?? '').join('');
}

/**
 * A scripted Anthropic upstream: continues a prefill with the rest of the answer (as Anthropic
 * does; the adapter trims the prefill's trailing space), or with `refusePrefill` answers a prefill
 * with Anthropic's 400; a request without a prefill gets the whole answer.
 */
function anthropicAnswer(options: { refusePrefill?: boolean } = {}) {
  return (call: UpstreamCall): UpstreamScript => ({
    kind: 'handler',
    respond(response: ServerResponse) {
      const prefill = prefillOf(call);
      if (prefill !== undefined && options.refusePrefill === true) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            type: 'error',
            error: { type: 'invalid_request_error', message: 'This model does not support assistant message prefill.' },
          }),
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(anthropicEvents(prefill === undefined ? ANSWER : ANSWER.slice(prefill.length)));
    },
  });
}

interface RecoveryGateway {
  running: RunningServer;
  client: OpenAI;
  primary: OpenAIUpstream;
  secondary: OpenAIUpstream;
  close(): Promise<void>;
}

let gateway: RecoveryGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

/**
 * The gateway with `primary` (openai, `gpt-4o-mini`) first and a second provider: `openai`
 * serving the same model, or `anthropic` serving the fallback model `claude` (upstream name
 * `claude-sonnet-4-5`). Short timeouts keep the stall case fast.
 */
async function startRecoveryGateway(
  second: 'openai' | 'anthropic',
  router: SwitchboardConfigInput['router'] = {},
): Promise<RecoveryGateway> {
  const primary = await startOpenAIUpstream('primary');
  const secondary = await startOpenAIUpstream('secondary');
  const secondEntry =
    second === 'openai'
      ? { name: 'secondary', type: 'openai' as const, baseURL: secondary.baseURL, models: ['gpt-4o-mini'] }
      : {
          name: 'claude',
          type: 'anthropic' as const,
          baseURL: secondary.baseURL.replace(/\/v1$/, ''),
          apiKey: 'sk-ant-upstream',
          models: [{ name: 'claude', upstream: 'claude-sonnet-4-5' }],
        };
  const config = parseConfig(
    {
      router: {
        strategy: 'availability',
        healthCheck: { intervalMs: 0 },
        retry: { sameProvider: 0, backoffMs: 0 },
        deadlineMs: 10_000,
        requestTimeoutMs: 5_000,
        firstTokenTimeoutMs: 3_000,
        streamIdleTimeoutMs: 300,
        ...(second === 'anthropic' ? { fallbacks: { 'gpt-4o-mini': ['claude'] } } : {}),
        ...router,
      },
      providers: [
        { name: 'primary', type: 'openai', baseURL: primary.baseURL, apiKey: 'sk-upstream', models: ['gpt-4o-mini'] },
        secondEntry,
      ],
    },
    { env: {} },
  );
  const running = await startServer({
    config,
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    drainTimeoutMs: 1_000,
  });
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'test-key', maxRetries: 0, timeout: 10_000 });
  return {
    running,
    client,
    primary,
    secondary,
    async close() {
      await running.close();
      await Promise.all([primary.close(), secondary.close()]);
    },
  };
}

const RECOVER = { headers: { 'x-switchboard-stream-recovery': 'continue' } };

/** The streamed answer's text and the number of chunks, read with the `openai` client. */
async function streamText(client: OpenAI, options: { headers?: Record<string, string> } = RECOVER) {
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, options);
  let text = '';
  const ids = new Set<string>();
  for await (const chunk of stream) {
    ids.add(chunk.id);
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return { text, ids };
}

/** The raw SSE body of a streamed request (to count `[DONE]` and error events). */
async function rawStream(url: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true }),
  });
  expect(response.status).toBe(200);
  return response.text();
}

/** The text of every content delta in a raw SSE body. */
function contentOf(body: string): string {
  let text = '';
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const event = JSON.parse(line.slice(6));
    text += event.choices?.[0]?.delta?.content ?? '';
  }
  return text;
}

async function metricsText(running: RunningServer): Promise<string> {
  return (await fetch(`${running.url}/metrics`)).text();
}

describe('stream recovery through the gateway (openai client, scripted upstreams)', () => {
  it('a stream cut after 40 of 60 tokens is continued by an Anthropic fallback with the partial answer as a prefill', async () => {
    gateway = await startRecoveryGateway('anthropic');
    gateway.primary.enqueue(brokenStream(40, 'reset'));
    gateway.secondary.setDefault(anthropicAnswer());
    const { text, ids } = await streamText(gateway.client);
    expect(text).toBe(ANSWER);
    expect(ids.size).toBe(1);
    const continuation = gateway.secondary.calls[0]!;
    expect(continuation.body.model).toBe('claude-sonnet-4-5');
    expect(prefillOf(continuation)).toBe(TOKENS.slice(0, 40).join('').trimEnd());
    expect(await metricsText(gateway.running)).toMatch(
      /switchboard_stream_recoveries_total\{provider="primary",model="gpt-4o-mini",outcome="continued_prefill"\} 1/,
    );
  });

  it('a stream cut after 40 of 60 tokens is continued by a fresh request elsewhere: one [DONE], no repeated text', async () => {
    gateway = await startRecoveryGateway('openai', { streamRecovery: 'continue' });
    gateway.primary.enqueue(brokenStream(40, 'reset'));
    gateway.secondary.setDefault(streamScript(TOKENS));
    const body = await rawStream(gateway.running.url);
    expect(contentOf(body)).toBe(ANSWER);
    expect(body.match(/data: \[DONE\]/g)).toHaveLength(1);
    expect(body).not.toContain('"error"');
    expect(gateway.secondary.calls[0]!.body.messages.at(-1).role).toBe('user');
    expect(await metricsText(gateway.running)).toMatch(
      /switchboard_stream_recoveries_total\{provider="primary",model="gpt-4o-mini",outcome="continued_fresh"\} 1/,
    );
  });

  it('a stream that stalls after 20 tokens is continued within the idle timeout, and the gateway serves on', async () => {
    gateway = await startRecoveryGateway('openai');
    gateway.primary.enqueue(brokenStream(20, 'hang'));
    gateway.secondary.setDefault(streamScript(TOKENS));
    expect((await streamText(gateway.client)).text).toBe(ANSWER);
    gateway.primary.enqueue(streamScript(TOKENS));
    expect((await streamText(gateway.client, {})).text).toBe(ANSWER);
  });

  it('a fallback that refuses the prefill is asked afresh: the whole answer, never the prefill rejection', async () => {
    gateway = await startRecoveryGateway('anthropic', { maxAttempts: 4 });
    gateway.primary.enqueue(brokenStream(40, 'reset'));
    gateway.secondary.setDefault(anthropicAnswer({ refusePrefill: true }));
    expect((await streamText(gateway.client)).text).toBe(ANSWER);
    expect(gateway.secondary.calls.map((call) => prefillOf(call) !== undefined)).toEqual([true, false]);
  });

  it('a refused prefill with no attempt left ends with the original failure, not the 400', async () => {
    gateway = await startRecoveryGateway('anthropic', { maxAttempts: 2 });
    gateway.primary.enqueue(brokenStream(40, 'reset'));
    gateway.secondary.setDefault(anthropicAnswer({ refusePrefill: true }));
    const body = await rawStream(gateway.running.url, RECOVER.headers);
    expect(contentOf(body)).toBe(TOKENS.slice(0, 40).join(''));
    expect(body).not.toContain('[DONE]');
    expect(body).toContain('"error"');
    expect(body).not.toContain('prefill');
    expect(body).not.toContain('invalid_request_error');
  });

  it('a fresh answer that differs from what was sent ends with an error event, never with mixed text', async () => {
    gateway = await startRecoveryGateway('openai');
    gateway.primary.enqueue(brokenStream(40, 'reset'));
    gateway.secondary.setDefault(streamScript(['Something ', 'else ', 'entirely']));
    const body = await rawStream(gateway.running.url, RECOVER.headers);
    expect(contentOf(body)).toBe(TOKENS.slice(0, 40).join(''));
    expect(body).not.toContain('[DONE]');
    expect(body).toContain('"error"');
    expect(await metricsText(gateway.running)).toMatch(
      /switchboard_stream_recoveries_total\{[^}]*outcome="mismatch"\} 1/,
    );
  });

  it('recovery off (the default): a cut stream ends with an error event and no [DONE]', async () => {
    gateway = await startRecoveryGateway('openai');
    gateway.primary.enqueue(brokenStream(40, 'reset'));
    gateway.secondary.setDefault(streamScript(TOKENS));
    const body = await rawStream(gateway.running.url);
    expect(contentOf(body)).toBe(TOKENS.slice(0, 40).join(''));
    expect(body).not.toContain('[DONE]');
    expect(body).toContain('"error"');
    expect(gateway.secondary.calls).toHaveLength(0);
  });

  it('the header turns recovery off for one request when the config turns it on; other values get 400', async () => {
    gateway = await startRecoveryGateway('openai', { streamRecovery: 'continue' });
    gateway.primary.enqueue(brokenStream(40, 'reset'));
    gateway.secondary.setDefault(streamScript(TOKENS));
    const body = await rawStream(gateway.running.url, { 'x-switchboard-stream-recovery': 'off' });
    expect(body).not.toContain('[DONE]');
    const refused = await fetch(`${gateway.running.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchboard-stream-recovery': 'sometimes' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe('x-switchboard-stream-recovery');
  });
});
