import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../contract/chat-types.ts';
import type { CallOptions, ChatStream, ProviderAdapter } from '../../contract/provider-adapter.ts';
import { ProviderError } from '../../contract/provider-error.ts';

/** How a delayed adapter answers one call: after `delayMs`, a reply or an HTTP status. */
export interface DelayedAnswer {
  delayMs: number;
  status?: number;
}

/** One call a delayed adapter received: whether its signal aborted it before it answered. */
export interface DelayedCall {
  model: string;
  stream: boolean;
  cancelled: boolean;
  answered: boolean;
}

/** A provider adapter answering on the global timers (fake ones in tests), aborted by its call's signal. */
export interface DelayedAdapter extends ProviderAdapter {
  readonly calls: DelayedCall[];
  /** The answer of the next calls (the last one repeats). */
  answers: DelayedAnswer[];
}

/**
 * Creates an adapter whose calls answer `from <name>` after a delay (a stream: its first content
 * chunk after the delay, then a finish chunk), or fail with a status, and reject with an `aborted`
 * ProviderError as soon as their signal aborts — what an HTTP adapter does when its socket is closed.
 */
export function delayedAdapter(name: string, answers: DelayedAnswer[] = [{ delayMs: 100 }]): DelayedAdapter {
  let cursor = 0;
  const wait = (call: DelayedCall, options: CallOptions | undefined): Promise<void> => {
    const answer = adapter.answers[Math.min(cursor++, adapter.answers.length - 1)] as DelayedAnswer;
    return new Promise<void>((resolve, reject) => {
      const signal = options?.signal;
      const onAbort = () => {
        clearTimeout(timer);
        call.cancelled = true;
        reject(new ProviderError('aborted', { kind: 'aborted', provider: name }));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        call.answered = true;
        if (answer.status === undefined) resolve();
        else
          reject(
            new ProviderError(`${name} answered ${answer.status}`, {
              kind: 'http',
              provider: name,
              status: answer.status,
            }),
          );
      }, answer.delayMs);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort);
    });
  };
  const completion = (request: ChatCompletionRequest): ChatCompletion => ({
    id: `cmpl-${name}`,
    object: 'chat.completion',
    created: 0,
    model: request.model,
    choices: [{ index: 0, message: { role: 'assistant', content: `from ${name}` }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
  const chunk = (request: ChatCompletionRequest, content: string | null): ChatCompletionChunk => ({
    id: `chunk-${name}`,
    object: 'chat.completion.chunk',
    created: 0,
    model: request.model,
    choices: [
      { index: 0, delta: content === null ? {} : { content }, finish_reason: content === null ? 'stop' : null },
    ],
  });
  const adapter: DelayedAdapter = {
    name,
    type: 'delayed',
    models: ['*'],
    calls: [],
    answers,
    async chat(request, options) {
      const call: DelayedCall = { model: request.model, stream: false, cancelled: false, answered: false };
      adapter.calls.push(call);
      await wait(call, options);
      return completion(request);
    },
    async stream(request, options): Promise<ChatStream> {
      const call: DelayedCall = { model: request.model, stream: true, cancelled: false, answered: false };
      adapter.calls.push(call);
      async function* generate(): AsyncGenerator<ChatCompletionChunk> {
        yield { ...chunk(request, null), choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] };
        await wait(call, options);
        yield chunk(request, `from ${name}`);
        yield chunk(request, null);
      }
      return generate();
    },
  };
  return adapter;
}
