import { ProviderError } from '../contract/provider-error.ts';
import type { SecretScrubber } from '../contract/secret-scrubber.ts';
import type { CircuitStateChangeEvent, HealthCheckEvent, ResultEvent, RouterEvents } from '../router/types.ts';
import type { RequestLogger, RequestLogRecord } from './request-log.ts';

/** The router's event subscription, as the log needs it. */
export interface LoggedRouter {
  on<Name extends keyof RouterEvents>(name: Name, listener: (event: RouterEvents[Name]) => void): unknown;
  off<Name extends keyof RouterEvents>(name: Name, listener: (event: RouterEvents[Name]) => void): unknown;
}

/** Options of `logRouterEvents`. */
export interface RouterEventLogOptions {
  router: LoggedRouter;
  logger: RequestLogger;
  /** Scrubs upstream text (bodies, messages, codes) before it is logged. */
  scrubber: SecretScrubber;
}

/** How much of an upstream's error body a log line keeps. */
export const UPSTREAM_BODY_LOG_CHARACTERS = 200;

/**
 * Logs what the router sees, so an operator can tell why traffic moved: every failed upstream
 * attempt at `warn` with its cause (kind, upstream status and error code, the first 200
 * characters of the upstream's body, a connection error code such as `ECONNREFUSED`), every
 * circuit transition (`warn` when it opens, `info` otherwise) and every failed health probe at
 * `warn`. Attempts the caller abandoned and failures raised before the upstream was called are
 * not logged here. Returns the function that unsubscribes.
 *
 * @example
 * ```ts
 * const stop = logRouterEvents({ router, logger, scrubber });
 * ```
 */
export function logRouterEvents(options: RouterEventLogOptions): () => void {
  const { router, logger, scrubber } = options;

  const onResult = (event: ResultEvent) => {
    if (event.success || !(event.error instanceof ProviderError)) return;
    const error = event.error;
    if (error.kind === 'aborted' || error.isLocal) return;
    const record: RequestLogRecord = {
      time: new Date().toISOString(),
      level: 'warn',
      msg: 'upstream attempt failed',
      id: event.requestId,
      provider: event.provider,
      kind: error.kind,
      error: scrubber.scrub(error.message),
      countsAsFailure: event.countsAsFailure !== false,
    };
    if (event.model !== undefined) record.model = event.model;
    if (error.status !== undefined) record.upstreamStatus = error.status;
    if (error.code !== undefined) {
      if (error.kind === 'connection' || error.kind === 'timeout') record.connectionErrorCode = error.code;
      else record.errorCode = scrubber.scrub(error.code);
    }
    const body = bodyText(error.body);
    if (body !== undefined) record.upstreamBody = scrubber.scrub(body).slice(0, UPSTREAM_BODY_LOG_CHARACTERS);
    if (event.latencyMs !== undefined) record.latencyMs = Math.round(event.latencyMs * 100) / 100;
    logger(record);
  };

  const onCircuitStateChange = (event: CircuitStateChangeEvent) => {
    const record: RequestLogRecord = {
      time: new Date().toISOString(),
      level: event.to === 'open' ? 'warn' : 'info',
      msg: 'circuit state change',
      id: undefined,
      provider: event.provider,
      from: event.from,
      to: event.to,
      reason: event.reason,
    };
    // Per-deployment circuits name their model ('*' for the provider-wide one).
    const model = (event as { model?: string }).model;
    if (model !== undefined) record.model = model;
    logger(record);
  };

  const onHealthCheck = (event: HealthCheckEvent) => {
    if (event.healthy) return;
    logger({
      time: new Date().toISOString(),
      level: 'warn',
      msg: 'health probe failed',
      id: undefined,
      provider: event.provider,
      error: scrubber.scrub(event.error ?? 'unhealthy'),
    });
  };

  router.on('result', onResult);
  router.on('circuitStateChange', onCircuitStateChange);
  router.on('healthCheck', onHealthCheck);
  return () => {
    router.off('result', onResult);
    router.off('circuitStateChange', onCircuitStateChange);
    router.off('healthCheck', onHealthCheck);
  };
}

/** An upstream error body as text: the string, or the JSON of a parsed body. */
function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body === '' ? undefined : body;
  try {
    return JSON.stringify(body);
  } catch {
    return undefined;
  }
}
