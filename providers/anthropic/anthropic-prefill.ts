/**
 * Assistant prefill on Anthropic: a request whose last message is the assistant's is continued from that text.
 * Anthropic refuses a prefill ending in whitespace (400 "final assistant content cannot end with trailing
 * whitespace"), while a partial answer cut mid-stream often ends in a space. So the whitespace is trimmed
 * before sending, and the same whitespace is dropped from the start of the continuation, when it starts with
 * it, so the partial text plus the continuation reads as one answer.
 */
import type { AnthropicRequestBody } from './anthropic-translate-request.ts';

/**
 * When the last message of `body` is the assistant's (a prefill), trims the trailing whitespace of its last
 * text block (dropping the block, or the message, when nothing else is left) and returns what was trimmed;
 * returns '' otherwise. Mutates `body`.
 *
 * @example
 * ```ts
 * const trimmed = trimPrefill(body); // ' ' for a prefill 'The answer is '
 * ```
 */
export function trimPrefill(body: AnthropicRequestBody): string {
  const messages = body.messages;
  const last = messages[messages.length - 1];
  if (last === undefined || last.role !== 'assistant') return '';
  if (typeof last.content === 'string') {
    const kept = last.content.trimEnd();
    const trimmed = last.content.slice(kept.length);
    if (kept.length === 0) messages.pop();
    else last.content = kept;
    return trimmed;
  }
  const blocks = last.content;
  const block = blocks[blocks.length - 1];
  if (block === undefined || block.type !== 'text') return '';
  const kept = block.text.trimEnd();
  const trimmed = block.text.slice(kept.length);
  if (kept.length > 0) block.text = kept;
  else if (blocks.length > 1) blocks.pop();
  else messages.pop();
  return trimmed;
}

/**
 * Drops `trimmed` (see `trimPrefill`) from the start of the first text of a continuation, when it starts with
 * it; one instance per response.
 *
 * @example
 * ```ts
 * const joiner = new PrefillJoiner(' ');
 * joiner.text(' world'); // 'world'
 * joiner.text(' again'); // ' again'
 * ```
 */
export class PrefillJoiner {
  #pending: string;

  constructor(trimmed: string) {
    this.#pending = trimmed;
  }

  /** The continuation's next text, with the trimmed whitespace dropped from the first one. */
  text(text: string): string {
    const pending = this.#pending;
    if (pending.length === 0 || text.length === 0) return text;
    this.#pending = '';
    return text.startsWith(pending) ? text.slice(pending.length) : text;
  }
}
