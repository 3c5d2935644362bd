import type { ProviderError } from '../contract/provider-error.ts';
import type { RoutingSettings } from './routing-settings.ts';
import type { FallbackReason, ResultInput } from './types.ts';

/** What a routed call does after a failed attempt. */
export interface FailureVerdict {
  /** `provider`: another provider of the model, then fallback models; `stop`: the error goes back to the caller. */
  next: 'provider' | 'context_window' | 'content_policy' | 'stop';
  /** True when the same provider may be asked again after a back-off (5xx, 408, a reset). */
  retrySameProvider: boolean;
  /** A `retry-after` short enough to wait out on the same provider when nothing else can serve, in ms. */
  waitableRetryAfterMs: number | undefined;
  /** Why the request leaves this provider, when it does. */
  reason: FallbackReason;
  /** What to record against the deployment (without latency). */
  result: Pick<ResultInput, 'success' | 'countsAsFailure' | 'scope' | 'retryAfterMs' | 'rateLimited'>;
}

const UNSUPPORTED_PARAMETER = 'unsupported_parameter';

/** Connection errors where asking the same address again at once cannot help. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The routing decision for one failed attempt, from its `ProviderError`:
 * - aborted by the caller, a local failure (never reached the upstream), or a client error (other
 *   4xx): stop, not counted against the provider; but a parameter the provider cannot honour
 *   (local `unsupported_parameter`) moves on to the next provider, not counted either;
 * - context length / content policy: never retried on the same model, only their own fallback lists;
 * - 401/403, connection refused or reset, DNS, TLS: a provider-wide fault, next provider (a reset
 *   before the response headers is first retried on the same provider);
 * - 429: the deployment cools down (its `retry-after`, or a doubling default), next provider;
 * - 5xx / 408 / 409 / 425: a deployment failure, a same-provider retry, then the next provider
 *   (a 503 with a `retry-after` is a cool-down like a 429);
 * - timeout: a deployment failure, never retried on the same provider;
 * - an invalid body or stream: a deployment failure, next provider.
 *
 * @example
 * ```ts
 * judgeFailure(new ProviderError('busy', { kind: 'http', provider: 'p', status: 503 }), settings).retrySameProvider; // true
 * ```
 */
export function judgeFailure(error: ProviderError, settings: RoutingSettings, afterHeaders = false): FailureVerdict {
  const waitable = (retryAfterMs: number | undefined) =>
    retryAfterMs !== undefined && retryAfterMs > 0 && retryAfterMs <= settings.retry.maxRetryAfterMs
      ? retryAfterMs
      : undefined;
  switch (error.kind) {
    case 'aborted':
      return verdict('stop', false, undefined, 'server_error', notCounted);
    case 'local':
      // A parameter this provider cannot honour: another provider of the model (or a fallback model) may.
      if (error.code === UNSUPPORTED_PARAMETER)
        return verdict('provider', false, undefined, 'unsupported_parameter', notCounted);
      return verdict('stop', false, undefined, 'server_error', notCounted);
    case 'timeout':
      return verdict('provider', false, undefined, 'timeout', { success: false, scope: 'deployment' });
    case 'protocol':
      return verdict('provider', false, undefined, 'protocol_error', { success: false, scope: 'deployment' });
    case 'connection': {
      // A reset before the headers is retried on the same provider; one mid-stream is not (it is not a cheap glitch).
      const retry = !afterHeaders && (error.code === undefined || !UNREACHABLE_CODES.has(error.code));
      return verdict('provider', retry, undefined, 'connection_error', { success: false, scope: 'provider' });
    }
    case 'http':
      break;
  }
  const status = error.status ?? 502;
  if (error.errorClass === 'context_length_exceeded')
    return verdict('context_window', false, undefined, 'context_length_exceeded', notCounted);
  if (error.errorClass === 'content_policy')
    return verdict('content_policy', false, undefined, 'content_policy', notCounted);
  if (status === 401 || status === 403)
    return verdict('provider', false, undefined, 'authentication_error', { success: false, scope: 'provider' });
  if (status === 429) {
    return verdict('provider', false, waitable(error.retryAfterMs), 'rate_limited', {
      success: false,
      countsAsFailure: false,
      scope: 'deployment',
      rateLimited: true,
      retryAfterMs: error.retryAfterMs,
    });
  }
  if (!error.isRetryable) return verdict('stop', false, undefined, 'server_error', notCounted);
  if ((status === 503 || status === 529) && error.retryAfterMs !== undefined && error.retryAfterMs > 0) {
    return verdict('provider', false, waitable(error.retryAfterMs), 'server_error', {
      success: false,
      scope: 'deployment',
      retryAfterMs: error.retryAfterMs,
    });
  }
  const retry = status >= 500 || status === 408 || status === 409 || status === 425;
  return verdict('provider', retry, undefined, 'server_error', { success: false, scope: 'deployment' });
}

/**
 * What a failed attempt records on its lease: the verdict's result with the attempt's latency (none
 * for a local failure, which measured nothing upstream), its error and request id. Copied, not
 * spread: `{ ...verdict.result, latencyMs, … }` costs microseconds on Node 20 (docs/performance.md).
 */
export function failedAttemptResult(
  verdict: FailureVerdict,
  latencyMs: number | undefined,
  error: ProviderError,
  requestId: string | undefined,
): Omit<ResultInput, 'model'> {
  const result: Omit<ResultInput, 'model'> = Object.assign({}, verdict.result);
  result.latencyMs = error.isLocal ? undefined : latencyMs;
  result.error = error;
  result.requestId = requestId;
  return result;
}

const notCounted: FailureVerdict['result'] = Object.freeze({ success: false, countsAsFailure: false });

function verdict(
  next: FailureVerdict['next'],
  retrySameProvider: boolean,
  waitableRetryAfterMs: number | undefined,
  reason: FallbackReason,
  result: FailureVerdict['result'],
): FailureVerdict {
  return { next, retrySameProvider, waitableRetryAfterMs, reason, result };
}
