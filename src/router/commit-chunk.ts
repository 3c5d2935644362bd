import type { ChatCompletionChunk } from '../contract/chat-types.ts';

/**
 * True when `chunk` carries something the client must see: text (or any other non-empty
 * string delta such as a refusal or reasoning), a tool-call delta, or a finish_reason. Role-only
 * and empty deltas do not.
 */
export function isCommitChunk(chunk: ChatCompletionChunk): boolean {
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return false;
  for (let index = 0; index < choices.length; index += 1) {
    const choice = choices[index];
    if (choice === undefined) continue;
    if (choice.finish_reason) return true;
    const delta = choice.delta as Record<string, unknown> | undefined;
    if (delta === undefined || delta === null) continue;
    for (const key in delta) {
      if (key === 'role') continue;
      const value = delta[key];
      if (typeof value === 'string' ? value !== '' : Array.isArray(value) ? value.length > 0 : value != null)
        return true;
    }
  }
  return false;
}
