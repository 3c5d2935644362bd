/**
 * Which Anthropic Messages stream events carry content: the point a streamed `/v1/messages`
 * answer is committed to its provider, and the end of an upstream's first-token window. The
 * adapter (first-token window, empty stream) and the gateway (commit point) share this one rule.
 */
import type { WireEvent } from './wire-event.ts';

/**
 * True for an event the client must see as part of the answer: a `content_block_delta` (text,
 * tool input, thinking), a `content_block_start` whose block already holds something (a
 * `tool_use` with its name, not an empty text block), or a `message_delta` with a `stop_reason`.
 * `message_start`, `ping`, `content_block_stop` and `message_stop` do not count.
 *
 * @example
 * ```ts
 * new SseChunkStream(call, body, translator, { isContent: messagesEventHasContent });
 * ```
 */
export function messagesEventHasContent(event: WireEvent): boolean {
  const value = event.value as { type?: unknown; content_block?: unknown; delta?: unknown } | null;
  if (value === null || typeof value !== 'object') return false;
  switch (value.type) {
    case 'content_block_delta':
      return true;
    case 'content_block_start':
      return blockHoldsSomething(value.content_block);
    case 'message_delta': {
      const delta = value.delta as { stop_reason?: unknown } | null | undefined;
      return typeof delta?.stop_reason === 'string' && delta.stop_reason !== '';
    }
    default:
      return false;
  }
}

/** A started block with a non-empty field besides its `type` (`text: ""`, `thinking: ""`, `citations: []` are empty). */
function blockHoldsSomething(block: unknown): boolean {
  if (block === null || typeof block !== 'object' || Array.isArray(block)) return false;
  const record = block as Record<string, unknown>;
  for (const key in record) {
    if (key === 'type') continue;
    const field = record[key];
    if (typeof field === 'string' || Array.isArray(field) ? field.length > 0 : field !== null && field !== undefined)
      return true;
  }
  return false;
}
