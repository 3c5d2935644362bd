/**
 * The Chat Completions parameters the Messages API cannot honour. Each is flagged only when it
 * would change the answer: `logprobs: false`, a zero penalty or an empty `logit_bias` are no-ops
 * and pass. `seed`, `service_tier`, `store`, `metadata` and `prompt_cache_key` are hints without
 * an effect on the answer's content, and are left out silently.
 */

import type { ChatCompletionRequest } from '../../src/contract/chat-types.ts';
import { thinkingBudgetOf } from './anthropic-thinking.ts';

/** Most choices (`n`) one request may ask of an `anthropic` provider: each is a parallel upstream call. */
export const ANTHROPIC_MAX_CHOICES = 8;

/** The request around the parameter being checked. */
export interface AnthropicParameterContext {
  request: ChatCompletionRequest;
  /** True for a streamed call (`n > 1` is honoured only without streaming). */
  streaming: boolean;
}

/**
 * True when the parameter `name` with `value` cannot be honoured by an `anthropic` provider.
 * `n` up to `ANTHROPIC_MAX_CHOICES` (not streamed), `response_format` json_schema / json_object and
 * `reasoning_effort` are honoured; `reasoning_effort` not with a forced tool choice (a
 * `response_format`, `tool_choice: required` or a named function), which extended thinking refuses.
 *
 * @example
 * ```ts
 * isUnsupportedOnAnthropic('logprobs', true, context); // true
 * isUnsupportedOnAnthropic('presence_penalty', 0, context); // false
 * ```
 */
export function isUnsupportedOnAnthropic(name: string, value: unknown, context: AnthropicParameterContext): boolean {
  switch (name) {
    case 'logprobs':
      return value === true;
    case 'top_logprobs':
      return typeof value === 'number' && value > 0;
    case 'presence_penalty':
    case 'frequency_penalty':
      return typeof value === 'number' && value !== 0;
    case 'logit_bias':
      return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
    case 'audio':
    case 'prediction':
    case 'web_search_options':
      return true;
    case 'modalities':
      return Array.isArray(value) && value.some((modality) => modality !== 'text');
    case 'n':
      return typeof value === 'number' && value > 1 && (context.streaming || value > ANTHROPIC_MAX_CHOICES);
    case 'reasoning_effort':
      return thinkingBudgetOf(value) === undefined || (thinkingBudgetOf(value) !== 0 && forcesTool(context.request));
    default:
      return false;
  }
}

/** True when the request makes the model call a tool (which extended thinking does not allow). */
function forcesTool(request: ChatCompletionRequest): boolean {
  const format = (request.response_format as { type?: unknown } | null | undefined)?.type;
  if (format !== undefined && format !== 'text') return true;
  const choice = request.tool_choice;
  return choice === 'required' || (typeof choice === 'object' && choice !== null);
}
