import type { Handler } from 'hono';
import type { ChatCompletionRequest, ChatUsage } from '../contract/chat-types.ts';
import { AbortLatch, type AbortSignalLike } from '../contract/abort-latch.ts';
import { chunkTextOf, rawJson } from '../contract/provider-adapter.ts';
import { PATTERN_SCRUBBER, type SecretScrubber } from '../contract/secret-scrubber.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import { ModelNotFoundError, RoutingFailedError } from '../router/errors.ts';
import type { Router } from '../router/router.ts';
import { ALREADY_SENT_RESPONSE } from './already-sent-response.ts';
import { readBody } from './body-limit.ts';
import { parseChatRequest } from './chat-request-schema.ts';
import type { GatewayContext, GatewayEnv, RequestLogFields } from './gateway-env.ts';
import { upstreamHeadersOf } from './loop-guard.ts';
import { CLIENT_CLOSED_STATUS, mapRoutingError } from './map-routing-error.ts';
import { GatewayError } from './openai-error.ts';
import type { RequestLogger } from './request-log.ts';
import { NodeResponseSink, WebResponseSink, type ResponseSink } from './response-sink.ts';

/** Options of `chatCompletionsHandler`. */
export interface ChatCompletionsOptions {
  router: Router;
  metrics?: GatewayMetrics | undefined;
  logger: RequestLogger;
  /** Largest accepted body in bytes. */
  maxBodyBytes: number;
  /** Providers tried per request, the first included. */
  maxAttempts: number;
  /** Per-attempt timeout in ms. */
  requestTimeoutMs: number;
  /** Scrubs secrets from upstream text in error answers and stream error events. Default: credential patterns only. */
  scrubber?: SecretScrubber | undefined;
}

const SSE_DONE = 'data: [DONE]\n\n';
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

/** What one request did, gathered while serving it, for metrics and the log. */
interface Outcome {
  status: number;
  stream: boolean;
  model?: string | undefined;
  provider?: string | undefined;
  attempts?: number | undefined;
  errorCode?: string | null | undefined;
  usage?: ChatUsage | null | undefined;
  /** The model the upstream answered with. */
  responseModel?: string | undefined;
}

/**
 * The `POST /v1/chat/completions` handler: reads the body under the size limit, validates
 * it, routes it through `router.chatCompletion` / `router.chatCompletionStream` (which
 * select, call, record and fall back) and writes the answer straight to the Node response
 * (JSON, or SSE chunks ending in `data: [DONE]`, those of one event-loop turn in one write;
 * OpenAI-compatible upstreams' bytes passed through as received). A stream that fails
 * after its first chunk ends with an SSE error event and no `[DONE]`. A client that
 * disconnects aborts the upstream call.
 *
 * @example
 * ```ts
 * app.post('/v1/chat/completions', chatCompletionsHandler({ router, logger, maxBodyBytes: 10_485_760, maxAttempts: 3, requestTimeoutMs: 120_000 }));
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
  const { router, metrics, logger, maxBodyBytes, maxAttempts, requestTimeoutMs } = options;
  const scrubber = options.scrubber ?? PATTERN_SCRUBBER;

  const serveCompletion = async (
    request: ChatCompletionRequest,
    sink: ResponseSink,
    signal: AbortSignalLike,
    requestId: string,
    outcome: Outcome,
    headers: Record<string, string> | undefined,
  ) => {
    const routed = await router.chatCompletion(request, {
      signal,
      maxAttempts,
      timeoutMs: requestTimeoutMs,
      requestId,
      headers,
    });
    outcome.provider = routed.provider;
    outcome.attempts = routed.attempts;
    outcome.usage = routed.completion.usage;
    outcome.responseModel = routed.completion.model;
    if (sink.closed) {
      outcome.status = CLIENT_CLOSED_STATUS;
      return;
    }
    const json = rawJson(routed.completion) ?? JSON.stringify(routed.completion);
    sink.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(json)),
      'x-switchboard-provider': routed.provider,
      'x-switchboard-attempts': String(routed.attempts),
    });
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
  ) => {
    const routed = await router.chatCompletionStream(request, {
      signal,
      maxAttempts,
      timeoutMs: requestTimeoutMs,
      requestId,
      headers,
    });
    outcome.provider = routed.provider;
    outcome.attempts = routed.attempts;
    const iterator = routed.stream[Symbol.asyncIterator]();
    if (sink.closed) {
      outcome.status = CLIENT_CLOSED_STATUS;
      await iterator.return?.();
      return;
    }
    sink.writeHead(200, {
      ...SSE_HEADERS,
      'x-switchboard-provider': routed.provider,
      'x-switchboard-attempts': String(routed.attempts),
    });
    outcome.status = 200;
    let first = true;
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const chunk = next.value;
        if (sink.closed) break;
        const pending = sink.write(`data: ${chunkTextOf(iterator, chunk) ?? JSON.stringify(chunk)}\n\n`);
        if (first) {
          first = false;
          metrics?.observeTimeToFirstToken(routed.provider, request.model, performance.now() - started);
        }
        if (chunk.usage) outcome.usage = chunk.usage;
        if (outcome.responseModel === undefined) outcome.responseModel = chunk.model;
        if (pending !== undefined) await pending;
      }
    } catch (error) {
      if (sink.closed) {
        outcome.status = CLIENT_CLOSED_STATUS;
        return;
      }
      const mapped = mapRoutingError(error, scrubber);
      outcome.status = mapped.status;
      outcome.errorCode = mapped.code;
      if (mapped.status === 500) reportUnexpected(error, requestId);
      sink.write(`data: ${JSON.stringify(mapped.toBody())}\n\n`);
      sink.end();
      return;
    }
    if (sink.closed) {
      outcome.status = CLIENT_CLOSED_STATUS;
      await iterator.return?.();
      return;
    }
    sink.write(SSE_DONE);
    sink.end();
  };

  const reportUnexpected = (error: unknown, requestId: string) => {
    const description = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger({
      time: new Date().toISOString(),
      level: 'error',
      msg: 'unexpected error in chat completions',
      id: requestId,
      error: description,
    });
  };

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
      if (outcome.stream) await serveStream(request, sink, controller, requestId, outcome, started, headers);
      else await serveCompletion(request, sink, controller, requestId, outcome, headers);
    } catch (error) {
      const mapped = mapRoutingError(error, scrubber);
      if (mapped.status === 500 && !(error instanceof GatewayError)) reportUnexpected(error, requestId);
      if (error instanceof ModelNotFoundError) outcome.model = undefined;
      if (error instanceof RoutingFailedError) {
        outcome.provider = error.lastError.provider;
        outcome.attempts = error.attempts;
      }
      outcome.errorCode = mapped.code;
      if (sink.closed || controller.aborted) {
        outcome.status = CLIENT_CLOSED_STATUS;
      } else if (!sink.headersSent) {
        outcome.status = mapped.status;
        writeError(sink, mapped, outcome);
      } else {
        outcome.status = mapped.status;
        sink.end();
      }
    } finally {
      if (outcome.provider !== undefined && outcome.model !== undefined)
        metrics?.observeTokenUsage(outcome.provider, outcome.model, outcome.usage);
      metrics?.requestFinished({
        provider: outcome.provider,
        model: outcome.model,
        status: outcome.status,
        stream: outcome.stream,
        durationMs: performance.now() - started,
        attempts: outcome.attempts,
      });
      const fields: RequestLogFields | undefined = context.get('logFields');
      if (fields !== undefined) {
        fields.status = outcome.status;
        fields.stream = outcome.stream;
        if (outcome.model !== undefined) fields.model = outcome.model;
        if (outcome.provider !== undefined) fields.provider = outcome.provider;
        if (outcome.attempts !== undefined) fields.attempts = outcome.attempts;
        fields.errorCode = outcome.errorCode;
        fields.usage = outcome.usage;
        fields.responseModel = outcome.responseModel;
      }
    }
  };
}

function writeError(sink: ResponseSink, error: GatewayError, outcome: Outcome): void {
  const json = JSON.stringify(error.toBody());
  const headers: Record<string, string> = {
    ...error.headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(json)),
  };
  if (outcome.provider !== undefined) headers['x-switchboard-provider'] = outcome.provider;
  if (outcome.attempts !== undefined) headers['x-switchboard-attempts'] = String(outcome.attempts);
  sink.writeHead(error.status, headers);
  sink.end(json);
}
