/**
 * What counts as content in a Chat Completions chunk, for the first-token window and the empty-stream rule:
 * the same test as the router's stream commit point (text, a tool-call delta, a finish_reason), widened to any
 * other non-empty delta field (a refusal, reasoning text), which is progress too.
 */
import type { ChatCompletionChunk } from '../../src/contract/chat-types.ts';

/**
 * True when a choice of `chunk` carries content: a non-empty delta field other than `role`, or a
 * finish_reason. Role-only chunks, empty deltas and usage-only chunks (no choices) are not content.
 *
 * @example
 * ```ts
 * new SseChunkStream(call, body, translator, { isContent: chatChunkHasContent });
 * ```
 */
export function chatChunkHasContent(chunk: ChatCompletionChunk): boolean {
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return false;
  for (const choice of choices) {
    if (choice === null || typeof choice !== 'object') continue;
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) return true;
    const delta = choice.delta as Record<string, unknown> | undefined;
    if (delta === null || typeof delta !== 'object') continue;
    for (const key in delta) {
      if (key === 'role') continue;
      const value = delta[key];
      if (typeof value === 'string' ? value.length > 0 : value !== null && value !== undefined) {
        if (Array.isArray(value) && value.length === 0) continue;
        return true;
      }
    }
  }
  return false;
}
