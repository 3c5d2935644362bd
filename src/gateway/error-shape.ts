import { GatewayError, type OpenAIErrorBody } from './openai-error.ts';

/** Which API's error shape a path answers in. */
export type ErrorShape = 'openai' | 'anthropic';

/** Anthropic's error body: `{"type":"error","error":{"type","message"}}`. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

const ANTHROPIC_TYPE_BY_STATUS: Readonly<Record<number, string>> = Object.freeze({
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
  529: 'overloaded_error',
});

/** Error codes that keep their own name as the Anthropic error type. */
const ANTHROPIC_TYPE_BY_CODE: Readonly<Record<string, string>> = Object.freeze({ loop_detected: 'loop_detected' });

/**
 * The error shape of a request path: Anthropic's for `/v1/messages` (and below), OpenAI's for
 * everything else.
 *
 * @example
 * ```ts
 * errorShapeOf('/v1/messages/count_tokens'); // 'anthropic'
 * ```
 */
export function errorShapeOf(path: string): ErrorShape {
  return path === '/v1/messages' || path.startsWith('/v1/messages/') ? 'anthropic' : 'openai';
}

/**
 * The Anthropic error type of a gateway error: from its status (400 `invalid_request_error`, 401
 * `authentication_error`, 404 `not_found_error`, 413 `request_too_large`, 429 `rate_limit_error`,
 * 529 `overloaded_error`, other 5xx `api_error`), or the upstream's own Anthropic type.
 */
export function anthropicErrorType(error: GatewayError): string {
  const byCode = error.code === null ? undefined : ANTHROPIC_TYPE_BY_CODE[error.code];
  if (byCode !== undefined) return byCode;
  const byStatus = ANTHROPIC_TYPE_BY_STATUS[error.status];
  if (byStatus !== undefined) return byStatus;
  return error.status >= 500 ? 'api_error' : 'invalid_request_error';
}

/**
 * The body of `error` in `shape`.
 *
 * @example
 * ```ts
 * errorBodyIn('anthropic', new GatewayError(401, 'bad key', { type: 'invalid_request_error' }));
 * // { type: 'error', error: { type: 'authentication_error', message: 'bad key' } }
 * ```
 */
export function errorBodyIn(shape: ErrorShape, error: GatewayError): OpenAIErrorBody | AnthropicErrorBody {
  if (shape === 'openai') return error.toBody();
  return { type: 'error', error: { type: anthropicErrorType(error), message: error.toBody().error.message } };
}
