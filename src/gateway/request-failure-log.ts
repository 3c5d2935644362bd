import { RoutingFailedError } from '../router/errors.ts';
import { ProviderError } from '../contract/provider-error.ts';
import type { SecretScrubber } from '../contract/secret-scrubber.ts';
import type { RequestLogger, RequestLogRecord } from './request-log.ts';

/** What `reportRequestFailure` needs to log one failed request. */
export interface RequestFailure {
  logger: RequestLogger;
  scrubber: SecretScrubber;
  error: unknown;
  /** The status the client was answered with. */
  status: number;
  requestId: string;
  /** Names the route in the `error` line, e.g. `chat completions`. */
  route: string;
}

/**
 * Logs why a request failed, for every routed endpoint alike: an upstream's failure at `warn` with
 * its cause (provider, kind, status, code, the scrubbed message) when the answer is a 5xx or 429;
 * anything else that ended in a 500 (a local failure, a bug) at `error`.
 */
export function reportRequestFailure({ logger, scrubber, error, status, requestId, route }: RequestFailure): void {
  const upstream =
    error instanceof RoutingFailedError ? error.lastError : error instanceof ProviderError ? error : undefined;
  if (upstream !== undefined && !upstream.isLocal && upstream.kind !== 'aborted') {
    if (status < 500 && status !== 429) return;
    const record: RequestLogRecord = {
      time: new Date().toISOString(),
      level: 'warn',
      msg: 'upstream failure',
      id: requestId,
      provider: upstream.provider,
      kind: upstream.kind,
      error: scrubber.scrub(upstream.message).slice(0, 200),
    };
    if (upstream.status !== undefined) record.upstreamStatus = upstream.status;
    if (upstream.code !== undefined) record.errorCode = scrubber.scrub(upstream.code);
    logger(record);
    return;
  }
  if (status !== 500) return;
  logger({
    time: new Date().toISOString(),
    level: 'error',
    msg: `unexpected error in ${route}`,
    id: requestId,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
}
