import { describe, expect, it } from 'vitest';
import { createMockProvider } from '../providers/mock/mock-provider.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../src/contract/chat-types.ts';
import type { ProviderAdapter } from '../src/contract/provider-adapter.ts';
import { ProviderError } from '../src/contract/provider-error.ts';
import { Router } from '../src/router/router.ts';
import { scriptedAdapter, type ScriptedAdapter } from '../src/router/test-support/scripted-adapter.ts';
import type { RouterOptions, StreamRecoveryEvent } from '../src/router/types.ts';

const request: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true };
const ANSWER = ['The ', 'quick ', 'brown ', 'fox'];

/** A primary whose stream fails (502) after two of its four chunks, and `fallback` registered after it. */
function setup(fallback: ProviderAdapter, options: RouterOptions = { streamRecovery: 'continue' }) {
  const router = new Router({ strategy: 'availability', retry: { sameProvider: 0 }, ...options });
  const primary = scriptedAdapter('primary', ['m']);
  primary.script({ chunks: ANSWER, failAfter: 2 });
  router.registerProvider(primary);
  router.registerProvider(fallback, { models: ['m'] });
  const recoveries: StreamRecoveryEvent[] = [];
  router.on('streamRecovery', (event) => recoveries.push(event));
  return { router, primary, recoveries };
}

async function read(stream: AsyncIterable<ChatCompletionChunk>): Promise<{ text: string; ids: Set<string> }> {
  let text = '';
  const ids = new Set<string>();
  for await (const chunk of stream) {
    ids.add(chunk.id);
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return { text, ids };
}

/** An adapter that declares prefill but whose upstream refuses it with a 400. */
function prefillRefuser(base: ScriptedAdapter): ProviderAdapter & { prefills: number } {
  const adapter = {
    ...base,
    supportsPrefill: true,
    prefills: 0,
    async stream(body: ChatCompletionRequest, options?: Parameters<ProviderAdapter['stream']>[1]) {
      if (body.messages.at(-1)?.role === 'assistant') {
        adapter.prefills += 1;
        throw new ProviderError('prefill is not supported by this model', {
          kind: 'http',
          provider: base.name,
          status: 400,
        });
      }
      return base.stream(body, options);
    },
  };
  return adapter;
}

describe('stream recovery (streamRecovery: continue) in the SDK', () => {
  it('continues a cut stream on a prefill-capable adapter with the partial answer as an assistant prefill', async () => {
    const fallback = createMockProvider({ name: 'claude', supportsPrefill: true, reply: 'The quick brown fox' });
    const { router, recoveries } = setup(fallback);
    const routed = await router.chatCompletionStream(request);
    const { text, ids } = await read(routed.stream);
    expect(text).toBe('The quick brown fox');
    expect(ids.size).toBe(1);
    expect(recoveries).toEqual([
      { provider: 'primary', model: 'm', outcome: 'continued_prefill', continuedBy: 'claude' },
    ]);
  });

  it('continues on any other adapter with a fresh request, passing on only the text past what was sent', async () => {
    const fallback = scriptedAdapter('secondary', ['m']);
    fallback.script({ chunks: ['The quick', ' brown', ' fox'] });
    const { router, recoveries } = setup(fallback);
    const routed = await router.chatCompletionStream(request);
    expect((await read(routed.stream)).text).toBe('The quick brown fox');
    expect(fallback.calls[0]?.messages.at(-1)?.role).toBe('user');
    expect(recoveries.map((event) => event.outcome)).toEqual(['continued_fresh']);
  });

  it('a fresh answer that differs from the text sent ends with the original failure, never with mixed text', async () => {
    const fallback = scriptedAdapter('secondary', ['m']);
    fallback.script({ chunks: ['A different ', 'answer'] });
    const { router, recoveries } = setup(fallback);
    const routed = await router.chatCompletionStream(request);
    let text = '';
    const failure = await (async () => {
      for await (const chunk of routed.stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((error: unknown) => error);
    expect(text).toBe('The quick ');
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).provider).toBe('primary');
    expect(recoveries.map((event) => event.outcome)).toEqual(['mismatch']);
    expect(router.healthStatus().secondary?.deployments.m?.consecutiveFailures).toBe(0);
  });

  it('a refused prefill is never the error: the same adapter is asked afresh', async () => {
    const base = scriptedAdapter('claude', ['m']);
    base.script({ chunks: ANSWER });
    const fallback = prefillRefuser(base);
    const { router, recoveries } = setup(fallback, { streamRecovery: 'continue', maxAttempts: 4 });
    const routed = await router.chatCompletionStream(request);
    expect((await read(routed.stream)).text).toBe('The quick brown fox');
    expect(fallback.prefills).toBe(1);
    expect(recoveries.map((event) => event.outcome)).toEqual(['continued_fresh']);
  });

  it('a refused prefill with no attempt left ends with the original failure', async () => {
    const base = scriptedAdapter('claude', ['m']);
    base.script({ chunks: ANSWER });
    const { router, recoveries } = setup(prefillRefuser(base), { streamRecovery: 'continue', maxAttempts: 2 });
    const routed = await router.chatCompletionStream(request);
    const failure = await read(routed.stream).catch((error: unknown) => error);
    expect((failure as ProviderError).provider).toBe('primary');
    expect((failure as ProviderError).status).toBe(502);
    expect(recoveries.map((event) => event.outcome)).toEqual(['failed']);
  });

  it('off by default; a per-call option turns it on', async () => {
    const fallback = createMockProvider({ name: 'claude', supportsPrefill: true, reply: 'The quick brown fox' });
    const { router } = setup(fallback, {});
    const off = await router.chatCompletionStream(request);
    await expect(read(off.stream)).rejects.toBeInstanceOf(ProviderError);
    const on = await router.chatCompletionStream(request, { streamRecovery: 'continue' });
    expect((await read(on.stream)).text).toBe('The quick brown fox');
  });

  it('is not attempted once a tool-call delta was sent', async () => {
    const fallback = createMockProvider({ name: 'claude', supportsPrefill: true });
    const { router, primary, recoveries } = setup(fallback);
    const toolCall = {
      async stream() {
        async function* generate(): AsyncGenerator<ChatCompletionChunk> {
          yield {
            id: 'c',
            object: 'chat.completion.chunk',
            created: 0,
            model: 'm',
            choices: [
              {
                index: 0,
                delta: {
                  tool_calls: [{ index: 0, id: 't', type: 'function', function: { name: 'f', arguments: '' } }],
                },
                finish_reason: null,
              },
            ],
          };
          throw new ProviderError('cut', { kind: 'connection', provider: 'primary' });
        }
        return generate();
      },
    };
    primary.stream = toolCall.stream as ProviderAdapter['stream'];
    const routed = await router.chatCompletionStream(request);
    await expect(read(routed.stream)).rejects.toMatchObject({ kind: 'connection' });
    expect(recoveries.map((event) => event.outcome)).toEqual(['not_resumable']);
  });
});
