/**
 * Reading the error class the router routes on (see `ProviderErrorClass`) from an upstream's
 * error body: context length exceeded and content policy are client errors that go to their
 * own fallback lists instead of being retried or passed through.
 */
import type { ProviderErrorClass } from '../../src/contract/provider-error.ts';
import type { OpenAIErrorBody } from '../../src/contract/openai-error-body.ts';

const CONTEXT_LENGTH_CODES = new Set(['context_length_exceeded', 'string_above_max_length']);
const CONTENT_POLICY_CODES = new Set(['content_policy_violation', 'content_filter']);
/** Anthropic's `invalid_request_error` "prompt is too long: N tokens > M maximum"; vLLM's and others' wording. */
const CONTEXT_LENGTH_MESSAGE = /prompt is too long|maximum context length|context length exceeded|context window/i;

/**
 * The class of a 4xx error body, or undefined. OpenAI names it in `error.code` (or `error.type`),
 * Azure in `error.code` or `error.innererror.code`, Anthropic only in the message.
 *
 * @example
 * ```ts
 * errorClassOf(400, { error: { message: 'too long', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });
 * // 'context_length_exceeded'
 * ```
 */
export function errorClassOf(status: number, body: OpenAIErrorBody): ProviderErrorClass | undefined {
  if (status < 400 || status >= 500 || status === 401 || status === 403 || status === 429) return undefined;
  const error = body.error;
  const codes = [error.code, error.type, innerCode(error.innererror)];
  for (const code of codes) {
    if (typeof code !== 'string') continue;
    if (CONTEXT_LENGTH_CODES.has(code)) return 'context_length_exceeded';
    if (CONTENT_POLICY_CODES.has(code)) return 'content_policy';
  }
  if (error.type === 'invalid_request_error' || status === 400 || status === 413) {
    if (CONTEXT_LENGTH_MESSAGE.test(error.message)) return 'context_length_exceeded';
  }
  return undefined;
}

function innerCode(inner: unknown): unknown {
  return inner !== null && typeof inner === 'object' ? (inner as { code?: unknown }).code : undefined;
}
