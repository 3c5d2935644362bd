import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../contract/chat-types.ts';
import type { ModelEntry } from '../../contract/model-entry.ts';
import type { CallOptions, ChatStream, ProviderAdapter } from '../../contract/provider-adapter.ts';
import { ProviderError, type ProviderErrorClass } from '../../contract/provider-error.ts';

/**
 * One scripted outcome of a call: a reply, an HTTP status failure (with a retry-after or an error
 * class), a transport failure (`timeout`, `connection` with a code), or a stream that fails after
 * n chunks (`failAfter`), optionally led by role-only chunks (`leadingEmpty`).
 */
export type ScriptedOutcome =
  | { reply: string }
  | { status: number; retryAfterMs?: number; errorClass?: ProviderErrorClass }
  | { failure: 'timeout' | 'connection' | 'protocol'; code?: string }
  | { chunks: string[]; failAfter?: number; leadingEmpty?: number };

/** A provider adapter driven by a script, for router tests: no sockets, outcomes in order. */
export interface ScriptedAdapter extends ProviderAdapter {
  /** Requests received, in order. */
  readonly calls: ChatCompletionRequest[];
  /** Sets what the next calls do (the last outcome repeats). */
  script(...outcomes: ScriptedOutcome[]): void;
  /** Sets what the next calls for the upstream model `model` do (the last outcome repeats); wins over `script`. */
  scriptFor(model: string, ...outcomes: ScriptedOutcome[]): void;
  /** Health-check answers, in order (the last repeats); a function for full control. */
  healthAnswers: Array<boolean | (() => Promise<boolean>)>;
}

/** Creates a scripted adapter serving `models`; by default it always replies `from <name>`. */
export function scriptedAdapter(
  name: string,
  models: readonly ModelEntry[] = ['*'],
  options: { withHealthCheck?: boolean } = {},
): ScriptedAdapter {
  let outcomes: ScriptedOutcome[] = [{ reply: `from ${name}` }];
  let cursor = 0;
  const perModel = new Map<string, { outcomes: ScriptedOutcome[]; cursor: number }>();
  const next = (model: string): ScriptedOutcome => {
    const scripted = perModel.get(model);
    if (scripted !== undefined)
      return scripted.outcomes[Math.min(scripted.cursor++, scripted.outcomes.length - 1)] as ScriptedOutcome;
    return outcomes[Math.min(cursor++, outcomes.length - 1)] as ScriptedOutcome;
  };
  const completion = (request: ChatCompletionRequest, content: string): ChatCompletion => ({
    id: `cmpl-${name}`,
    object: 'chat.completion',
    created: 0,
    model: request.model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  });
  const chunk = (request: ChatCompletionRequest, content: string): ChatCompletionChunk => ({
    id: `chunk-${name}`,
    object: 'chat.completion.chunk',
    created: 0,
    model: request.model,
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  });
  const failure = (outcome: {
    status: number;
    retryAfterMs?: number;
    errorClass?: ProviderErrorClass;
  }): ProviderError =>
    new ProviderError(`${name} answered ${outcome.status}`, {
      kind: 'http',
      provider: name,
      status: outcome.status,
      retryAfterMs: outcome.retryAfterMs,
      errorClass: outcome.errorClass,
      body: { error: { message: `${name} answered ${outcome.status}`, type: 'scripted', param: null, code: null } },
    });
  const transportFailure = (outcome: {
    failure: 'timeout' | 'connection' | 'protocol';
    code?: string;
  }): ProviderError =>
    new ProviderError(`${name}: ${outcome.failure}`, { kind: outcome.failure, provider: name, code: outcome.code });
  const aborted = (): ProviderError => new ProviderError('aborted', { kind: 'aborted', provider: name });

  const adapter: ScriptedAdapter = {
    name,
    type: 'scripted',
    models,
    calls: [],
    healthAnswers: [true],
    script(...scripted) {
      outcomes = scripted;
      cursor = 0;
    },
    scriptFor(model, ...scripted) {
      perModel.set(model, { outcomes: scripted, cursor: 0 });
    },
    async chat(request: ChatCompletionRequest, callOptions?: CallOptions) {
      adapter.calls.push(request);
      if (callOptions?.signal?.aborted) throw aborted();
      const outcome = next(request.model);
      if ('status' in outcome) throw failure(outcome);
      if ('failure' in outcome) throw transportFailure(outcome);
      if ('chunks' in outcome) return completion(request, outcome.chunks.join(''));
      return completion(request, outcome.reply);
    },
    async stream(request: ChatCompletionRequest, callOptions?: CallOptions): Promise<ChatStream> {
      adapter.calls.push(request);
      const outcome = next(request.model);
      if ('status' in outcome) throw failure(outcome);
      if ('failure' in outcome) throw transportFailure(outcome);
      const pieces = 'chunks' in outcome ? outcome.chunks : [outcome.reply];
      const failAfter = 'chunks' in outcome ? outcome.failAfter : undefined;
      const leadingEmpty = 'chunks' in outcome ? (outcome.leadingEmpty ?? 0) : 0;
      async function* generate(): AsyncGenerator<ChatCompletionChunk> {
        for (let index = 0; index < leadingEmpty; index += 1)
          yield { ...chunk(request, ''), choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] };
        for (let index = 0; index < pieces.length; index += 1) {
          if (failAfter !== undefined && index >= failAfter) throw failure({ status: 502 });
          if (callOptions?.signal?.aborted) throw aborted();
          yield chunk(request, pieces[index] as string);
        }
        if (failAfter !== undefined && failAfter >= pieces.length) throw failure({ status: 502 });
      }
      return generate();
    },
  };
  if (options.withHealthCheck) {
    let healthCursor = 0;
    adapter.healthCheck = async () => {
      const answer = adapter.healthAnswers[Math.min(healthCursor++, adapter.healthAnswers.length - 1)];
      return typeof answer === 'function' ? answer() : answer === true;
    };
  }
  return adapter;
}

/** A manual clock for routers under test: `clock()` reads it, `advance(ms)` moves it. */
export function manualClock(start = 1_000_000): {
  clock: () => number;
  advance: (ms: number) => void;
  set: (ms: number) => void;
} {
  let now = start;
  return {
    clock: () => now,
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
  };
}
