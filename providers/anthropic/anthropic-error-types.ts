/**
 * Anthropic's error `type`s and the HTTP status each stands for, so that an error event
 * inside a 200 stream becomes the same `ProviderError` as the matching HTTP answer
 * (`overloaded_error` → 529, retryable; `invalid_request_error` → 400, not retryable).
 */

const STATUS_BY_ERROR_TYPE: Readonly<Record<string, number>> = Object.freeze({
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
});

/**
 * The HTTP status matching an Anthropic error type; 500 for types it does not know.
 *
 * @example
 * ```ts
 * statusOfAnthropicErrorType('overloaded_error'); // 529
 * ```
 */
export function statusOfAnthropicErrorType(type: string | undefined): number {
  return (type !== undefined ? STATUS_BY_ERROR_TYPE[type] : undefined) ?? 500;
}
