import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../bootstrap.ts';
import { silentLogger } from '../src/gateway/request-log.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { fixtureText } from '../providers/test-support/fixtures.ts';

/** What the fake Anthropic API received. */
interface ReceivedCall {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A local server speaking the Anthropic Messages API: recorded-shape answers, scripted per test. */
async function startFakeAnthropic(answer: 'text' | 'stream' | 'overloaded') {
  const calls: ReceivedCall[] = [];
  const server: Server = createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (piece: string) => (raw += piece));
    request.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      calls.push({ path: request.url ?? '', headers: request.headers, body });
      if (answer === 'overloaded') {
        response.writeHead(529, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
      } else if (body.stream === true) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end(fixtureText('anthropic-stream-text.sse'));
      } else {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(fixtureText('anthropic-message-text.json'));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { calls, baseURL, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let running: RunningServer | undefined;
let upstream: Awaited<ReturnType<typeof startFakeAnthropic>> | undefined;

afterEach(async () => {
  await running?.close();
  await upstream?.close();
  running = undefined;
  upstream = undefined;
});

async function gatewayInFrontOf(answer: 'text' | 'stream' | 'overloaded'): Promise<OpenAI> {
  upstream = await startFakeAnthropic(answer);
  const config = parseConfig(
    {
      router: { strategy: 'availability', healthCheck: { intervalMs: 0 } },
      providers: [
        {
          name: 'claude',
          type: 'anthropic',
          baseURL: upstream.baseURL,
          apiKey: 'sk-ant-test',
          models: ['claude-sonnet-4-5'],
        },
        { name: 'backup', type: 'mock', models: ['claude-sonnet-4-5'], reply: 'from the backup' },
      ],
    },
    { env: {} },
  );
  running = await startServer({ config, port: 0, host: '127.0.0.1', logger: silentLogger });
  return new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
}

describe('an anthropic provider behind the gateway, called with the openai client', () => {
  it('translates the request to /v1/messages and the answer back to a chat.completion', async () => {
    const client = await gatewayInFrontOf('text');
    const { data, response } = await client.chat.completions
      .create({
        model: 'claude-sonnet-4-5',
        temperature: 0,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Who are you?' },
        ],
      })
      .withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('claude');
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]?.message.content).toBe('Hi! My name is Claude.');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: 2095, completion_tokens: 503, total_tokens: 2598 });
    const call = upstream!.calls[0]!;
    expect(call.path).toBe('/v1/messages');
    expect(call.headers['x-api-key']).toBe('sk-ant-test');
    expect(call.body).toMatchObject({
      model: 'claude-sonnet-4-5',
      system: 'Be brief.',
      max_tokens: 4096,
      temperature: 0,
    });
    expect(call.body.messages).toEqual([{ role: 'user', content: 'Who are you?' }]);
  });

  it('turns Anthropic stream events into chat.completion.chunks ending the stream cleanly', async () => {
    const client = await gatewayInFrontOf('stream');
    const stream = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      stream: true,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    let text = '';
    let finishReason: string | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
    }
    expect(text).toBe('Hello! How can I help, 世界 🌍?');
    expect(finishReason).toBe('stop');
  });

  it('treats 529 overloaded as retryable: one same-provider retry, then the next provider', async () => {
    const client = await gatewayInFrontOf('overloaded');
    const { data, response } = await client.chat.completions
      .create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('backup');
    expect(response.headers.get('x-switchboard-attempts')).toBe('3');
    expect(response.headers.get('x-switchboard-fallback-reason')).toBe('server_error');
    expect(data.choices[0]?.message.content).toBe('from the backup');
    expect(upstream!.calls).toHaveLength(2);
  });
});
