/**
 * OpenAI's `reasoning_effort` on Anthropic: extended thinking with a token budget per effort.
 * The budget is added to `max_tokens` (Anthropic counts thinking in it), so the visible answer
 * keeps the length the client asked for.
 */

/** Thinking budget tokens per `reasoning_effort` (Anthropic's minimum is 1024). */
export const THINKING_BUDGETS: Readonly<Record<string, number>> = Object.freeze({
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
});

/**
 * The thinking budget for `effort`, 0 for `none`, undefined for a value that is not an effort.
 *
 * @example
 * ```ts
 * thinkingBudgetOf('medium'); // 8192
 * ```
 */
export function thinkingBudgetOf(effort: unknown): number | undefined {
  if (effort === 'none') return 0;
  return typeof effort === 'string' ? THINKING_BUDGETS[effort] : undefined;
}
