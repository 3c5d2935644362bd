import type { Handler } from 'hono';
import type { ChatCompletionRequest, ChatUsage } from '../contract/chat-types.ts';
import { AbortLatch, type AbortSignalLike } from '../contract/abort-latch.ts';
import { chunkTextOf, rawJson } from '../contract/provider-adapter.ts';
import { PATTERN_SCRUBBER, type SecretScrubber } from '../contract/secret-scrubber.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import { streamUsageOf } from '../router/committed-stream.ts';
import { ModelNotFoundError, RoutingFailedError } from '../router/errors.ts';
import type { Router } from '../router/router.ts';
import type { RoutedCallOptions, RoutedOutcome, StreamRecoveryMode } from '../router/types.ts';
import { ALREADY_SENT_RESPONSE } from './already-sent-response.ts';
import { readBody } from './body-limit.ts';
import { parseChatRequest } from './chat-request-schema.ts';
import { noteOutcome, type GatewayContext, type GatewayEnv, type RequestLogFields } from './gateway-env.ts';
import { writeErrorAnswer } from './endpoint-handler.ts';
import { upstreamHeadersOf } from './loop-guard.ts';
import { CLIENT_CLOSED_STATUS, mapRoutingError } from './map-routing-error.ts';
import { GatewayError, openAIErrorBody } from './openai-error.ts';
import type { RequestLogger } from './request-log.ts';
import { reportRequestFailure } from './request-failure-log.ts';
import type { ServerLifecycle } from './server-lifecycle.ts';
import { NodeResponseSink, WebResponseSink, type ResponseSink } from './response-sink.ts';
import { streamRecoveryOf } from './stream-recovery-header.ts';
import { SSE_HEADERS } from './sse-headers.ts';

/** Options of `chatCompletionsHandler`. */
export interface ChatCompletionsOptions {
  router: Router;
  metrics?: GatewayMetrics | undefined;
  logger: RequestLogger;
  /** Largest accepted body in bytes. */
  maxBodyBytes: number;
  /** Overrides the router's `maxAttempts` for every request (better set on the router: an override costs a merge per request). */
  maxAttempts?: number | undefined;
  /** Overrides the router's `requestTimeoutMs` for every request (same caveat). */
  requestTimeoutMs?: number | undefined;
  /** Scrubs secrets from upstream text in error answers and stream error events. Default: credential patterns only. */
  scrubber?: SecretScrubber | undefined;
  /** When the drain limit of a shutdown is over, streams still running end with a `server_shutting_down` error event. */
  lifecycle?: ServerLifecycle | undefined;
}

/** The SSE error event a stream still running when the shutdown's drain limit is over ends with. */
const SHUTDOWN_EVENT = `data: ${JSON.stringify(
  openAIErrorBody('The server is shutting down; the stream was cut.', 'server_error', 'server_shutting_down'),
)}\n\n`;

const SSE_DONE = 'data: [DONE]\n\n';
const NO_OVERRIDES: RoutedCallOptions = Object.freeze({});

/** What one request did, gathered while serving it, for metrics and the log. */
interface Outcome {
  status: number;
  stream: boolean;
  model?: string | undefined;
  provider?: string | undefined;
  /** The public model that served, after fallbacks. */
  servedModel?: string | undefined;
  attempts?: number | undefined;
  errorCode?: string | null | undefined;
  usage?: ChatUsage | null | undefined;
  /** The model the upstream answered with. */
  responseModel?: string | undefined;
  /** Parameters the last provider tried dropped (`dropUnsupportedParams`), for `x-switchboard-dropped-params`. */
  droppedParams?: { provider: string; names: readonly string[] } | undefined;
  /** Set when a shutdown cut the stream: the server's doing, never logged as the client's (499). */
  cutByShutdown?: boolean;
}

/** Notes that the client went away, unless the server itself cut the response. */
function noteClientGone(outcome: Outcome): void {
  if (outcome.cutByShutdown !== true) outcome.status = CLIENT_CLOSED_STATUS;
}

/**
 * The `POST /v1/chat/completions` handler: reads the body under the size limit, validates
 * it, routes it through `router.chatCompletion` / `router.chatCompletionStream` (which
 * select, call, record and fall back) and writes the answer straight to the Node response
 * (JSON, or SSE chunks ending in `data: [DONE]`, those of one event-loop turn in one write;
 * OpenAI-compatible upstreams' bytes passed through as received), with `x-switchboard-provider`,
 * `x-switchboard-model` (the public model that served), `x-switchboard-attempts` and, when
 * another provider or model served, `x-switchboard-fallback-reason`. A stream that fails after
 * its commit point ends with an SSE error event and no `[DONE]`. A client that disconnects
 * aborts the upstream call.
 *
 * @example
 * ```ts
 * app.post('/v1/chat/completions', chatCompletionsHandler({ router, logger, maxBodyBytes: 10_485_760 }));
 * ```
 */
export function chatCompletionsHandler(options: ChatCompletionsOptions): Handler<GatewayEnv> {
  const serve = createServe(options);
  return async (context) => {
    const outgoing = context.env?.outgoing;
    if (outgoing !== undefined) {
      await serve(context, new NodeResponseSink(outgoing));
      return ALREADY_SENT_RESPONSE;
    }
    const sink = new WebResponseSink((body, status, headers) => context.body(body, status as 200, headers));
    const served = serve(context, sink);
    return Promise.race([sink.response, served.then(() => sink.response)]);
  };
}

function createServe(options: ChatCompletionsOptions) {
  const { router, metrics, logger, maxBodyBytes, lifecycle } = options;
  // Frozen: each request copies it with more fields, cheap on Node 20 only from a frozen object (docs/performance.md).
  const overrides: RoutedCallOptions = Object.freeze({
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
  const hasOverrides = Object.keys(overrides).length > 0;
  /** The header carrying session keys when the router's affinity is on (the body's fields are the router's to read). */
  const affinityHeader = router.affinityHeader;
  /** Per-request routed-call options: the signal and id, the session key, the handler's overrides and the request's stream recovery. */
  const callOptions = (
    signal: AbortSignalLike,
    requestId: string,
    headers: Record<string, string> | undefined,
    sessionKey: string | undefined,
    streamRecovery?: StreamRecoveryMode,
  ): RoutedCallOptions => {
    const base = hasOverrides ? overrides : NO_OVERRIDES;
    const routed: RoutedCallOptions =
      headers === undefined ? { ...base, signal, requestId } : { ...base, signal, requestId, headers };
    if (sessionKey !== undefined && sessionKey !== '') routed.sessionKey = sessionKey;
    if (streamRecovery !== undefined) routed.streamRecovery = streamRecovery;
    return routed;
  };
  const scrubber = options.scrubber ?? PATTERN_SCRUBBER;

  const serveCompletion = async (
    request: ChatCompletionRequest,
    sink: ResponseSink,
    signal: AbortSignalLike,
    requestId: string,
    outcome: Outcome,
    headers: Record<string, string> | undefined,
    sessionKey: string | undefined,
  ) => {
    const options = callOptions(signal, requestId, headers, sessionKey);
    options.reportDroppedParams = droppedParamsReporter(outcome);
    const routed = await router.chatCompletion(request, options);
    noteRouted(outcome, routed);
    outcome.usage = routed.completion.usage;
    outcome.responseModel = routed.completion.model;
    if (sink.closed) {
      outcome.status = CLIENT_CLOSED_STATUS;
      return;
    }
    const json = rawJson(routed.completion) ?? JSON.stringify(routed.completion);
    sink.writeHead(
      200,
      routedHeaders(
        routed,
        { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)) },
        outcome,
      ),
    );
    sink.end(json);
    outcome.status = 200;
  };

  const serveStream = async (
    request: ChatCompletionRequest,
    sink: ResponseSink,
    signal: AbortSignalLike,
    requestId: string,
    outcome: Outcome,
    started: number,
    headers: Record<string, string> | undefined,
    sessionKey: string | undefined,
    streamRecovery: StreamRecoveryMode | undefined,
  ) => {
    const options = callOptions(signal, requestId, headers, sessionKey, streamRecovery);
    options.reportDroppedParams = droppedParamsReporter(outcome);
    const routed = await router.chatCompletionStream(request, options);
    noteRouted(outcome, routed);
    const iterator = routed.stream[Symbol.asyncIterator]();
    if (sink.closed) {
      outcome.status = CLIENT_CLOSED_STATUS;
      await iterator.return?.();
      return;
    }
    sink.writeHead(200, routedHeaders(routed, { ...SSE_HEADERS }, outcome));
    outcome.status = 200;
    let first = true;
    const stopWatching = lifecycle?.on('drainExpired', () => {
      if (sink.closed) return;
      outcome.cutByShutdown = true;
      outcome.status = 503;
      outcome.errorCode = 'server_shutting_down';
      sink.write(SHUTDOWN_EVENT);
      sink.end();
      if (signal instanceof AbortLatch) signal.abort(new Error('The server is shutting down.'));
    });
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const chunk = next.value;
        if (sink.closed) break;
        const pending = sink.write(`data: ${chunkTextOf(iterator, chunk) ?? JSON.stringify(chunk)}\n\n`);
        if (first) {
          first = false;
          metrics?.observeTimeToFirstToken(routed.provider, routed.model, performance.now() - started);
        }
        if (chunk.usage) outcome.usage = chunk.usage;
        if (outcome.responseModel === undefined) outcome.responseModel = chunk.model;
        if (pending !== undefined) await pending;
      }
    } catch (error) {
      if (sink.closed) {
        noteClientGone(outcome);
        return;
      }
      const mapped = mapRoutingError(error, scrubber);
      outcome.status = mapped.status;
      outcome.errorCode = mapped.code;
      reportFailure(error, mapped.status, requestId);
      sink.write(`data: ${JSON.stringify(mapped.toBody())}\n\n`);
      sink.end();
      return;
    } finally {
      stopWatching?.();
    }
    if (sink.closed) {
      noteClientGone(outcome);
      await iterator.return?.();
      return;
    }
    // A usage chunk the client did not ask for was counted by the stream, not sent.
    outcome.usage ??= streamUsageOf(iterator);
    sink.write(SSE_DONE);
    sink.end();
  };

  const reportFailure = (error: unknown, status: number, requestId: string) =>
    reportRequestFailure({ logger, scrubber, error, status, requestId, route: 'chat completions' });

  return async (context: GatewayContext, sink: ResponseSink): Promise<void> => {
    // The arrival noted by requestContext, so the log, the duration and time-to-first-token share one start.
    const started = context.get('startedAt') ?? performance.now();
    const requestId = context.get('requestId') ?? '';
    const outcome: Outcome = { status: 500, stream: false };
    const controller = new AbortLatch();
    sink.onClientGone(() => controller.abort(new Error('The client disconnected.')));
    metrics?.requestStarted();
    try {
      const request = parseChatRequest(await readBody(context, maxBodyBytes));
      outcome.model = request.model;
      outcome.stream = request.stream === true;
      const headers = upstreamHeadersOf(context);
      const sessionKey = affinityHeader === undefined ? undefined : context.req.header(affinityHeader);
      if (outcome.stream) {
        const recovery = streamRecoveryOf(context);
        await serveStream(request, sink, controller, requestId, outcome, started, headers, sessionKey, recovery);
      } else await serveCompletion(request, sink, controller, requestId, outcome, headers, sessionKey);
    } catch (error) {
      const mapped = mapRoutingError(error, scrubber);
      if (!(error instanceof GatewayError)) reportFailure(error, mapped.status, requestId);
      if (error instanceof ModelNotFoundError) outcome.model = undefined;
      if (error instanceof RoutingFailedError) {
        outcome.provider = error.lastError.provider;
        outcome.attempts = error.attempts;
      }
      if (outcome.cutByShutdown !== true) outcome.errorCode = mapped.code;
      if (sink.closed || controller.aborted) {
        noteClientGone(outcome);
      } else if (!sink.headersSent) {
        outcome.status = mapped.status;
        writeErrorAnswer(sink, mapped, JSON.stringify(mapped.toBody()), outcome);
      } else {
        outcome.status = mapped.status;
        sink.end();
      }
    } finally {
      if (outcome.provider !== undefined && outcome.servedModel !== undefined)
        metrics?.observeTokenUsage(outcome.provider, outcome.servedModel, outcome.usage);
      metrics?.requestFinished({
        provider: outcome.provider,
        model: outcome.model,
        status: outcome.status,
        stream: outcome.stream,
        durationMs: performance.now() - started,
        attempts: outcome.attempts,
      });
      const fields: RequestLogFields | undefined = context.get('logFields');
      noteOutcome(fields, outcome);
      if (fields !== undefined) {
        fields.usage = outcome.usage;
        fields.responseModel = outcome.responseModel;
      }
    }
  };
}

/** Notes how a routed call was served, for the log and metrics. */
function noteRouted(outcome: Outcome, routed: RoutedOutcome): void {
  outcome.provider = routed.provider;
  outcome.attempts = routed.attempts;
  outcome.servedModel = routed.model;
}

/** `headers` plus the `x-switchboard-*` headers of a routed answer (the dropped parameters of the provider that served). */
function routedHeaders(
  routed: RoutedOutcome,
  headers: Record<string, string>,
  outcome: Outcome,
): Record<string, string> {
  headers['x-switchboard-provider'] = routed.provider;
  headers['x-switchboard-model'] = routed.model;
  headers['x-switchboard-attempts'] = String(routed.attempts);
  if (routed.fallbackReason !== undefined) headers['x-switchboard-fallback-reason'] = routed.fallbackReason;
  const dropped = outcome.droppedParams;
  if (dropped !== undefined && dropped.provider === routed.provider)
    headers['x-switchboard-dropped-params'] = dropped.names.join(',');
  return headers;
}

/** Notes the parameters a provider dropped (its `dropUnsupportedParams`), the last provider's winning. */
function droppedParamsReporter(outcome: Outcome): (provider: string, names: readonly string[]) => void {
  return (provider, names) => {
    outcome.droppedParams = { provider, names };
  };
}
