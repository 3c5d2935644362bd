/**
 * The Chat Completions parameters the Messages API cannot honour. Each is flagged only when it
 * would change the answer: `logprobs: false`, a zero penalty or an empty `logit_bias` are no-ops
 * and pass. `seed`, `service_tier`, `store`, `metadata` and `prompt_cache_key` are hints without
 * an effect on the answer's content, and are left out silently.
 */

/**
 * True when the parameter `name` with `value` cannot be honoured by an `anthropic` provider.
 *
 * @example
 * ```ts
 * isUnsupportedOnAnthropic('logprobs', true); // true
 * isUnsupportedOnAnthropic('presence_penalty', 0); // false
 * ```
 */
export function isUnsupportedOnAnthropic(name: string, value: unknown): boolean {
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
      return typeof value === 'number' && value > 1;
    case 'response_format': {
      const type = (value as { type?: unknown } | null)?.type;
      return type !== undefined && type !== 'text';
    }
    case 'reasoning_effort':
      return true;
    default:
      return false;
  }
}
