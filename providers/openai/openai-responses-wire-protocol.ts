/**
 * The OpenAI Responses stream as a pass-through protocol: `response.completed`,
 * `response.incomplete` and `response.failed` end it (the upstream sends no `[DONE]`); an `error`
 * event is a `ProviderError` carrying its code and message.
 */
import { ProviderError } from '../../src/contract/provider-error.ts';
import type { WireEvent } from '../../src/contract/wire-event.ts';
import { truncateMessage } from '../http/http-error.ts';
import type { WireProtocol } from '../http/wire-event-translator.ts';

/** Events that end a Responses stream. */
const END_TYPES = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Lifecycle events that carry no output yet: not content for the first-token window. */
const NON_CONTENT_TYPES = new Set(['response.created', 'response.in_progress', 'response.queued']);

/** See the module comment. */
export const openAIResponsesWireProtocol: WireProtocol = {
  isEnd: (type) => type !== undefined && END_TYPES.has(type),
  errorOf(type, value, provider) {
    if (type !== 'error') return undefined;
    const nested = value.error as { message?: unknown; code?: unknown; type?: unknown } | undefined;
    const message = truncateMessage(String(value.message ?? nested?.message ?? 'stream error'));
    const code = typeof value.code === 'string' ? value.code : typeof nested?.code === 'string' ? nested.code : null;
    return new ProviderError(`${provider}: upstream sent an error mid-stream: ${message}`, {
      kind: 'http',
      provider,
      status: 500,
      ...(code === null ? {} : { code }),
      body: { error: { message, type: 'server_error', param: null, code } },
    });
  },
};

/**
 * True for a Responses event that carries output (an item, a delta, the end): the first one ends
 * the first-token window; `response.created` / `in_progress` do not count.
 *
 * @example
 * ```ts
 * new SseChunkStream(call, body, translator, { isContent: responsesEventHasContent });
 * ```
 */
export function responsesEventHasContent(event: WireEvent): boolean {
  const type = (event.value as { type?: unknown }).type;
  return typeof type !== 'string' || !NON_CONTENT_TYPES.has(type);
}
