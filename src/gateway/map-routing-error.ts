import { ProviderError } from '../contract/provider-error.ts';
import { PATTERN_SCRUBBER, type SecretScrubber } from '../contract/secret-scrubber.ts';
import { ModelNotFoundError, NoProviderAvailableError, RoutingFailedError } from '../router/errors.ts';
import { loopDetected } from './loop-guard.ts';
import { GatewayError, internalError, isOpenAIErrorBody, openAIErrorBody } from './openai-error.ts';

/** Upstream statuses that are the client's fault and are passed through with the upstream's body. */
const PASS_THROUGH_STATUSES = new Set([400, 404, 409, 413, 415, 422]);

/** Status the gateway reports for a client that went away (logs and metrics only; nothing is sent). */
export const CLIENT_CLOSED_STATUS = 499;

/**
 * Maps what a routed call threw to the gateway's answer, per the error table in README:
 * unknown model → 404 `model_not_found`; no provider can take traffic → 503, or 429 with
 * `retry-after` when all are cooling down; an upstream client error (400, 404, 413, 422…) →
 * the upstream's status and body; retryable failures after every attempt → the last
 * upstream status, 502 (connection, protocol) or 504 (timeout); a failure that never left the
 * process (kind `local`) → 400 when the request cannot be encoded, else 500. Upstream text in
 * the answer (message, passed-through body) goes through `scrubber` first.
 *
 * @example
 * ```ts
 * const error = mapRoutingError(new ModelNotFoundError('gpt-5')); // error.status === 404, error.code === 'model_not_found'
 * ```
 */
export function mapRoutingError(error: unknown, scrubber: SecretScrubber = PATTERN_SCRUBBER): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof ModelNotFoundError) {
    return new GatewayError(404, `The model '${error.model}' does not exist or no provider serves it.`, {
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: 'model',
    });
  }
  if (error instanceof NoProviderAvailableError) {
    if (error.retryAfterMs !== undefined) {
      return new GatewayError(429, `Every provider for model '${error.model}' is rate limited; retry later.`, {
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': retryAfterSeconds(error.retryAfterMs) },
      });
    }
    return new GatewayError(503, error.message, { type: 'service_unavailable', code: 'no_provider_available' });
  }
  if (error instanceof RoutingFailedError) return mapProviderError(error.lastError, error.attempts, scrubber);
  if (error instanceof ProviderError) return mapProviderError(error, 1, scrubber);
  return internalError();
}

function mapProviderError(error: ProviderError, attempts: number, scrubber: SecretScrubber): GatewayError {
  const headers: Record<string, string> = {};
  if (error.retryAfterMs !== undefined && error.retryAfterMs > 0)
    headers['retry-after'] = retryAfterSeconds(error.retryAfterMs);
  const suffix = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  switch (error.kind) {
    case 'timeout':
      return new GatewayError(504, `The provider did not answer in time${suffix}.`, {
        type: 'upstream_error',
        code: 'upstream_timeout',
        headers,
      });
    case 'connection':
      return new GatewayError(502, `The provider could not be reached${suffix}.`, {
        type: 'upstream_error',
        code: 'upstream_connection_error',
        headers,
      });
    case 'protocol':
      return new GatewayError(502, `The provider sent an invalid response${suffix}.`, {
        type: 'upstream_error',
        code: 'upstream_protocol_error',
        headers,
      });
    case 'aborted':
      return new GatewayError(CLIENT_CLOSED_STATUS, 'The request was cancelled.', {
        type: 'invalid_request_error',
        code: 'request_cancelled',
      });
    case 'local': {
      // Never reached the upstream: the request's own 400 (a parameter the provider cannot honour, a
      // request that cannot be encoded) or the gateway's 500.
      if (error.status !== 400) return internalError();
      if (isOpenAIErrorBody(error.body))
        return new GatewayError(400, error.body.error.message, {
          type: 'invalid_request_error',
          code: error.code ?? null,
          param: typeof error.body.error.param === 'string' ? error.body.error.param : null,
          body: error.body,
        });
      return new GatewayError(400, 'The request cannot be encoded for the provider (nested too deeply or too large).', {
        type: 'invalid_request_error',
        code: 'invalid_request',
      });
    }
    case 'http':
      break;
  }
  const status = error.status ?? 502;
  // A provider pointing back at a Switchboard that saw this request already: the loop is the answer.
  if (status === 508) return loopDetected();
  // Adapters scrub what they pass on; any adapter's text is scrubbed once more here, at the edge.
  const scrubbedBody = scrubber.scrubValue(error.body);
  const body = isOpenAIErrorBody(scrubbedBody) ? scrubbedBody : undefined;
  if (PASS_THROUGH_STATUSES.has(status) || status === 429 || status >= 500) {
    const finalStatus = status >= 600 ? 502 : status;
    const message = body?.error.message ?? `The provider answered ${status}${suffix}.`;
    const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'upstream_error' : 'invalid_request_error';
    const code = error.code === undefined ? null : scrubber.scrub(error.code);
    return new GatewayError(finalStatus, message, {
      type: typeof body?.error.type === 'string' ? body.error.type : type,
      code,
      headers,
      body: body ?? openAIErrorBody(message, type, code),
    });
  }
  // 401/403 and other upstream refusals are the gateway's configuration problem, not the client's.
  return new GatewayError(502, `The provider refused the request with status ${status}.`, {
    type: 'upstream_error',
    code: status === 401 || status === 403 ? 'upstream_authentication_error' : 'upstream_error',
    headers,
  });
}

function retryAfterSeconds(milliseconds: number): string {
  return String(Math.max(1, Math.ceil(milliseconds / 1000)));
}
