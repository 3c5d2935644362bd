import type { Handler } from 'hono';
import { AbortLatch } from '../contract/abort-latch.ts';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../contract/json-depth.ts';
import { PATTERN_SCRUBBER, type SecretScrubber } from '../contract/secret-scrubber.ts';
import type { GatewayMetrics, TokenUsage } from '../metrics/gateway-metrics.ts';
import { ModelNotFoundError, RoutingFailedError } from '../router/errors.ts';
import type { Router } from '../router/router.ts';
import { sessionKeyOfBody } from '../router/session-affinity.ts';
import type { RoutedCallOptions } from '../router/types.ts';
import { ALREADY_SENT_RESPONSE } from './already-sent-response.ts';
import { readBody } from './body-limit.ts';
import { errorBodyIn, type ErrorShape } from './error-shape.ts';
import { noteOutcome, type GatewayContext, type GatewayEnv } from './gateway-env.ts';
import { upstreamHeadersOf } from './loop-guard.ts';
import { CLIENT_CLOSED_STATUS, mapRoutingError } from './map-routing-error.ts';
import { MAX_MODEL_NAME_LENGTH } from './chat-request-schema.ts';
import { GatewayError } from './openai-error.ts';
import type { RequestLogger } from './request-log.ts';
import { reportRequestFailure } from './request-failure-log.ts';
import { NodeResponseSink, WebResponseSink, type ResponseSink } from './response-sink.ts';

/** Settings shared by the non-chat endpoints (`/v1/messages`, `/v1/responses`, `/v1/embeddings`…). */
export interface EndpointSettings {
  router: Router;
  metrics?: GatewayMetrics | undefined;
  logger: RequestLogger;
  maxBodyBytes: number;
  /** Overrides the router's `maxAttempts` (as for chat); absent: the router's own. */
  maxAttempts?: number | undefined;
  /** Overrides the router's `requestTimeoutMs` (as for chat); absent: the router's own. */
  requestTimeoutMs?: number | undefined;
  /** Scrubs secrets from upstream text before it reaches a client or the log. Default: credential patterns. */
  scrubber?: SecretScrubber | undefined;
}

/** What one request did, gathered while serving it, for metrics and the log. */
export interface EndpointOutcome {
  status: number;
  stream: boolean;
  model?: string | undefined;
  provider?: string | undefined;
  attempts?: number | undefined;
  errorCode?: string | null | undefined;
  usage?: TokenUsage | null | undefined;
  /** The model the upstream answered with (for traces). */
  responseModel?: string | undefined;
  /** Parameters dropped by the serving provider, for `x-switchboard-dropped-params`. */
  droppedParams?: readonly string[] | undefined;
}

/** One request being served by an endpoint. */
export interface EndpointRequest {
  context: GatewayContext;
  /** The body parsed as a JSON object. */
  body: Record<string, unknown>;
  /** The body's text as received. */
  text: string;
  sink: ResponseSink;
  requestId: string;
  outcome: EndpointOutcome;
  /** When the request arrived (`performance.now()`). */
  started: number;
  /** Options for `router.call` / `router.callStream`: signal, limits, upstream headers, dropped-params report. */
  routedOptions: RoutedCallOptions;
  /** The scrubber the endpoint's error events go through. */
  scrubber: SecretScrubber;
}

/** How an endpoint serves a parsed request; throws `GatewayError`s or routing errors for the handler to render. */
export type EndpointServe = (request: EndpointRequest) => Promise<void>;

/** Identity of an endpoint: its metrics label and error shape. */
export interface EndpointIdentity {
  /** The path, used as the `endpoint` metrics label. */
  endpoint: string;
  shape: ErrorShape;
}

/**
 * The frame of every routed endpoint besides chat: reads the body under the size limit, parses
 * it as a JSON object (400 in the endpoint's error shape otherwise), runs `serve`, renders any
 * error in the endpoint's shape (OpenAI or Anthropic), aborts the upstream call when the client
 * goes away, and reports metrics (with the `endpoint` label), token usage and the request log.
 *
 * @example
 * ```ts
 * app.post('/v1/embeddings', endpointHandler(settings, { endpoint: '/v1/embeddings', shape: 'openai' }, serveEmbeddings));
 * ```
 */
export function endpointHandler(
  settings: EndpointSettings,
  identity: EndpointIdentity,
  serve: EndpointServe,
): Handler<GatewayEnv> {
  const run = createRun(settings, identity, serve);
  return async (context) => {
    const outgoing = context.env?.outgoing;
    if (outgoing !== undefined) {
      await run(context, new NodeResponseSink(outgoing));
      return ALREADY_SENT_RESPONSE;
    }
    const sink = new WebResponseSink((body, status, headers) => context.body(body, status as 200, headers));
    const served = run(context, sink);
    return Promise.race([sink.response, served.then(() => sink.response)]);
  };
}

function createRun(settings: EndpointSettings, identity: EndpointIdentity, serve: EndpointServe) {
  const { metrics, logger, maxBodyBytes, maxAttempts, requestTimeoutMs } = settings;
  const scrubber = settings.scrubber ?? PATTERN_SCRUBBER;
  /** Session keys for affinity: this header, else the body's `prompt_cache_key`, `user` or `metadata.user_id`. */
  const affinityHeader = settings.router.affinityHeader;
  return async (context: GatewayContext, sink: ResponseSink): Promise<void> => {
    const started = context.get('startedAt') ?? performance.now();
    const requestId = context.get('requestId') ?? '';
    const outcome: EndpointOutcome = { status: 500, stream: false };
    const controller = new AbortLatch();
    sink.onClientGone(() => controller.abort(new Error('The client disconnected.')));
    metrics?.requestStarted();
    try {
      const text = (await readBody(context, maxBodyBytes)).toString('utf8');
      const body = parseJsonObject(text);
      const routedOptions: RoutedCallOptions = {
        signal: controller,
        requestId,
        reportDroppedParams: (provider, names) => {
          if (outcome.provider === undefined || outcome.provider === provider) outcome.droppedParams = names;
        },
      };
      if (maxAttempts !== undefined) routedOptions.maxAttempts = maxAttempts;
      if (requestTimeoutMs !== undefined) routedOptions.requestTimeoutMs = requestTimeoutMs;
      const headers = upstreamHeadersOf(context);
      if (headers !== undefined) routedOptions.headers = headers;
      if (affinityHeader !== undefined) {
        const sessionKey = context.req.header(affinityHeader) || sessionKeyOfBody(body);
        if (sessionKey !== undefined && sessionKey !== '') routedOptions.sessionKey = sessionKey;
      }
      await serve({ context, body, text, sink, requestId, outcome, started, routedOptions, scrubber });
    } catch (error) {
      const mapped = mapRoutingError(error, scrubber);
      if (mapped.status === 500 && !(error instanceof GatewayError))
        reportRequestFailure({ logger, scrubber, error, status: 500, requestId, route: 'a routed endpoint' });
      if (error instanceof ModelNotFoundError) outcome.model = undefined;
      if (error instanceof RoutingFailedError) {
        outcome.provider = error.lastError.provider;
        outcome.attempts = error.attempts;
      }
      outcome.errorCode = mapped.code;
      if (sink.closed || controller.aborted) outcome.status = CLIENT_CLOSED_STATUS;
      else {
        outcome.status = mapped.status;
        if (!sink.headersSent) writeError(sink, mapped, identity.shape, outcome);
        else sink.end();
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
        endpoint: identity.endpoint,
      });
      const fields = context.get('logFields');
      noteOutcome(fields, outcome);
      if (fields !== undefined) {
        fields.usage = outcome.usage;
        fields.responseModel = outcome.responseModel;
      }
    }
  };
}

/** Parses a request body that must be a JSON object nested at most `MAX_JSON_DEPTH` deep: 400 `invalid_request_error` otherwise. */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.length === 0) throw invalidRequest('The request body is empty; send a JSON object.', null, 'empty_body');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequest('We could not parse the JSON body of your request.', null, 'invalid_json');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidRequest('The request body must be a JSON object.', null, 'invalid_json');
  // Deeper bodies could not be re-encoded or translated for a provider (the stack would overflow).
  if (exceedsJsonDepth(text, MAX_JSON_DEPTH))
    throw invalidRequest(
      `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`,
      null,
      'nesting_too_deep',
    );
  return value as Record<string, unknown>;
}

/** A 400 `invalid_request_error` naming `param`. */
export function invalidRequest(message: string, param: string | null, code = 'invalid_value'): GatewayError {
  return new GatewayError(400, message, { type: 'invalid_request_error', param, code });
}

/** Requires `body[name]` to be a non-empty string (e.g. `model`); returns it. */
export function requireString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (value === undefined)
    throw invalidRequest(`Missing required parameter: '${name}'.`, name, 'missing_required_parameter');
  if (typeof value !== 'string' || value.length === 0)
    throw invalidRequest(`Invalid '${name}': expected a non-empty string.`, name);
  return value;
}

/**
 * Requires `body.model` to be a non-empty string of at most `MAX_MODEL_NAME_LENGTH` characters, as
 * chat does: a longer name would become a routing key (and a label) of any size. Returns it.
 */
export function requireModel(body: Record<string, unknown>): string {
  const model = requireString(body, 'model');
  if (model.length > MAX_MODEL_NAME_LENGTH)
    throw invalidRequest(`Invalid 'model': at most ${MAX_MODEL_NAME_LENGTH} characters.`, 'model');
  return model;
}

/** The headers of a proxied answer: who served it, how many attempts, what was dropped. */
export function servedHeaders(outcome: EndpointOutcome, model: string): Record<string, string> {
  const headers: Record<string, string> = {
    'x-switchboard-provider': outcome.provider ?? '',
    'x-switchboard-attempts': String(outcome.attempts ?? 1),
    'x-switchboard-model': model,
  };
  if (outcome.droppedParams !== undefined && outcome.droppedParams.length > 0)
    headers['x-switchboard-dropped-params'] = outcome.droppedParams.join(',');
  return headers;
}

/** Writes a whole JSON answer. */
export function writeJson(sink: ResponseSink, status: number, json: string, headers: Record<string, string>): void {
  // Own keys first, then the spread: the other order costs microseconds on Node 20 (docs/performance.md).
  sink.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(json)),
    ...headers,
  });
  sink.end(json);
}

function writeError(sink: ResponseSink, error: GatewayError, shape: ErrorShape, outcome: EndpointOutcome): void {
  writeErrorAnswer(sink, error, JSON.stringify(errorBodyIn(shape, error)), outcome);
}

/**
 * Writes an error answer of every route alike: `error`'s status and headers (e.g. `retry-after`)
 * with `json` as the body, and the provider and attempts that were tried when there were any.
 */
export function writeErrorAnswer(
  sink: ResponseSink,
  error: GatewayError,
  json: string,
  tried: { provider?: string | undefined; attempts?: number | undefined },
): void {
  const headers: Record<string, string> = Object.assign({}, error.headers);
  if (tried.provider !== undefined) headers['x-switchboard-provider'] = tried.provider;
  if (tried.attempts !== undefined) headers['x-switchboard-attempts'] = String(tried.attempts);
  writeJson(sink, error.status, json, headers);
}
