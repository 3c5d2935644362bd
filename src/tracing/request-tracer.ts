import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  context as otelContext,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { ProviderError } from '../contract/provider-error.ts';
import type { AttemptEvent, ResultEvent, RouterEvents } from '../router/types.ts';

/** The router as the tracer needs it: its events, and each provider's type for `gen_ai.provider.name`. */
export interface TracedRouter {
  on<Name extends keyof RouterEvents>(name: Name, listener: (event: RouterEvents[Name]) => void): unknown;
  off<Name extends keyof RouterEvents>(name: Name, listener: (event: RouterEvents[Name]) => void): unknown;
  provider(name: string): { readonly type: string } | undefined;
}

/** What the gateway knows about a request when it arrives. */
export interface TracedRequest {
  /** GenAI operation, e.g. `chat` or `embeddings`: the request span's and its attempt spans' `gen_ai.operation.name`. */
  operation: string;
  method: string;
  /** The route template, e.g. `/v1/chat/completions`. */
  route: string;
  requestId: string;
  /** Incoming headers, for a W3C `traceparent` when the host registered a propagator. */
  headers?: Record<string, string> | undefined;
}

/** What the gateway knows about a request once it has answered. */
export interface TracedOutcome {
  /** HTTP status sent (or the status the request ended with, for a stream cut after its headers). */
  status: number;
  /** The model the client asked for. */
  requestModel?: string | undefined;
  /** The model the upstream answered with. */
  responseModel?: string | undefined;
  /** The serving (or last failing) provider. */
  provider?: string | undefined;
  attempts?: number | undefined;
  /** The error code sent, when the answer was an error. */
  errorCode?: string | null | undefined;
  stream?: boolean | undefined;
  usage?: { prompt_tokens?: number | undefined; completion_tokens?: number | undefined } | null | undefined;
}

/** Options of `RequestTracer`. */
export interface RequestTracerOptions {
  router: TracedRouter;
  /** Where tracers come from. Default: the global one (`trace.getTracerProvider()`), read per request. */
  tracerProvider?: TracerProvider;
  /** Instrumentation scope name. Default `switchboard`. */
  name?: string;
  version?: string;
}

/** Where `@opentelemetry/api` 1.x keeps its registered globals (`trace`, `context`, `propagation`). */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

interface AttemptTrace {
  readonly span: Span;
  readonly provider: string;
  /** When its result was recorded (ms since epoch); the span ends then, or with the request when it served. */
  endTime?: number;
  succeeded?: boolean;
}

interface RequestTrace {
  /** GenAI operation of the request, which its attempts share (`chat`, `embeddings`). */
  readonly operation: string;
  readonly span: Span;
  readonly context: Context;
  readonly attempts: AttemptTrace[];
  /** The attempt awaiting its result, per provider. */
  readonly open: Map<string, AttemptTrace>;
}

/**
 * OpenTelemetry spans for gateway requests, through `@opentelemetry/api` only: one SERVER span per
 * request and one CLIENT span per upstream attempt, with GenAI semantic-convention attributes
 * (`gen_ai.operation.name`, `gen_ai.provider.name` and `gen_ai.system`, `gen_ai.request.model`,
 * `gen_ai.response.model`, `gen_ai.usage.input_tokens` / `output_tokens`, `error.type`).
 * Attempts come from the router's `attempt` and `result` events, tied to their request through an
 * AsyncLocalStorage the request runs in, so the router knows nothing of tracing. When no
 * TracerProvider is registered `enabled` is false and the gateway calls its handler directly: no
 * span, no AsyncLocalStorage, no event subscription.
 *
 * @example
 * ```ts
 * const tracer = new RequestTracer({ router });
 * const answer = tracer.enabled
 *   ? await tracer.run({ operation: 'chat', method: 'POST', route: '/v1/chat/completions', requestId }, serve, outcome)
 *   : await serve();
 * ```
 */
export class RequestTracer {
  readonly #router: TracedRouter;
  readonly #provider: TracerProvider | undefined;
  readonly #name: string;
  readonly #version: string | undefined;
  readonly #store = new AsyncLocalStorage<RequestTrace>();
  #subscribed = false;
  #delegate: unknown;
  #delegateEnabled = false;
  #tracer: Tracer | undefined;
  #tracerSource: unknown;

  constructor(options: RequestTracerOptions) {
    this.#router = options.router;
    this.#provider = options.tracerProvider;
    this.#name = options.name ?? 'switchboard';
    this.#version = options.version;
  }

  /**
   * True when spans would be recorded somewhere: a TracerProvider was given, or one is registered
   * globally. A few property reads per call; the answer follows a provider registered later.
   */
  get enabled(): boolean {
    if (this.#provider !== undefined) return true;
    // The API's own global registry: nothing there means no SDK, in one property read (docs/performance.md).
    const registered = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_API_GLOBAL]?.trace;
    if (registered === undefined) return false;
    if (!(registered instanceof ProxyTracerProvider)) return true;
    const delegate = registered.getDelegate();
    if (delegate !== this.#delegate) {
      this.#delegate = delegate;
      this.#delegateEnabled = delegate.constructor.name !== 'NoopTracerProvider';
    }
    return this.#delegateEnabled;
  }

  /**
   * Runs `serve` inside a request span (the active OpenTelemetry context and the tracer's own
   * store), then ends the attempt spans and the request span with `outcome()`'s answer.
   */
  async run<Result>(
    request: TracedRequest,
    serve: () => Promise<Result>,
    outcome: () => TracedOutcome,
  ): Promise<Result> {
    this.#subscribe();
    const tracer = this.#currentTracer();
    const parent =
      request.headers === undefined ? otelContext.active() : propagation.extract(otelContext.active(), request.headers);
    const span = tracer.startSpan(
      `${request.method} ${request.route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'gen_ai.operation.name': request.operation,
          'http.request.method': request.method,
          'http.route': request.route,
          'switchboard.request_id': request.requestId,
        },
      },
      parent,
    );
    const requestTrace: RequestTrace = {
      operation: request.operation,
      span,
      context: trace.setSpan(parent, span),
      attempts: [],
      open: new Map(),
    };
    try {
      return await otelContext.with(requestTrace.context, () => this.#store.run(requestTrace, serve));
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      throw error;
    } finally {
      this.#finish(requestTrace, outcome());
    }
  }

  /** Stops following the router's events. */
  close(): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    this.#router.off('attempt', this.#onAttempt);
    this.#router.off('result', this.#onResult);
  }

  #subscribe(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    this.#router.on('attempt', this.#onAttempt);
    this.#router.on('result', this.#onResult);
  }

  #currentTracer(): Tracer {
    const source = this.#provider ?? trace.getTracerProvider();
    if (this.#tracer === undefined || source !== this.#tracerSource) {
      this.#tracerSource = source;
      this.#tracer = source.getTracer(this.#name, this.#version);
    }
    return this.#tracer;
  }

  readonly #onAttempt = (event: AttemptEvent): void => {
    const requestTrace = this.#store.getStore();
    if (requestTrace === undefined) return;
    const type = this.#router.provider(event.provider)?.type ?? 'unknown';
    const attributes: Attributes = {
      'gen_ai.operation.name': requestTrace.operation,
      'gen_ai.provider.name': type,
      'gen_ai.system': type,
      'gen_ai.request.model': event.model,
      'switchboard.provider': event.provider,
      'switchboard.attempt': event.attempt,
      'switchboard.attempt.kind': event.kind,
      'switchboard.stream': event.streaming,
    };
    const span = this.#currentTracer().startSpan(
      `${requestTrace.operation} ${event.model}`,
      { kind: SpanKind.CLIENT, attributes },
      requestTrace.context,
    );
    const attempt: AttemptTrace = { span, provider: event.provider };
    requestTrace.attempts.push(attempt);
    requestTrace.open.set(event.provider, attempt);
  };

  readonly #onResult = (event: ResultEvent): void => {
    const requestTrace = this.#store.getStore();
    if (requestTrace === undefined) return;
    const attempt = requestTrace.open.get(event.provider);
    if (attempt === undefined) return;
    requestTrace.open.delete(event.provider);
    attempt.endTime = Date.now();
    attempt.succeeded = event.success;
    if (event.success) return;
    const error = event.error;
    const span = attempt.span;
    span.setAttributes(errorAttributes(error, event.countsAsFailure !== false));
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    span.end(attempt.endTime);
  };

  #finish(requestTrace: RequestTrace, outcome: TracedOutcome): void {
    const { span } = requestTrace;
    const served = outcome.status < 400 ? requestTrace.attempts.findLast((attempt) => attempt.succeeded) : undefined;
    const responseAttributes: Attributes = {};
    if (outcome.responseModel !== undefined) responseAttributes['gen_ai.response.model'] = outcome.responseModel;
    const usage = outcome.usage;
    if (typeof usage?.prompt_tokens === 'number') responseAttributes['gen_ai.usage.input_tokens'] = usage.prompt_tokens;
    if (typeof usage?.completion_tokens === 'number')
      responseAttributes['gen_ai.usage.output_tokens'] = usage.completion_tokens;
    for (const attempt of requestTrace.attempts) {
      if (attempt.succeeded === false) continue;
      if (attempt === served) attempt.span.setAttributes(responseAttributes);
      else if (attempt.succeeded === undefined) {
        // No result recorded: the request ended while it ran (the client left, or the server cut it).
        attempt.span.setAttribute('error.type', 'cancelled');
        attempt.span.setStatus({ code: SpanStatusCode.ERROR, message: 'The attempt did not finish.' });
      }
      attempt.span.end(attempt.endTime);
    }
    span.setAttributes(responseAttributes);
    span.setAttribute('http.response.status_code', outcome.status);
    if (outcome.requestModel !== undefined) span.setAttribute('gen_ai.request.model', outcome.requestModel);
    if (outcome.provider !== undefined) {
      span.setAttribute('switchboard.provider', outcome.provider);
      const type = this.#router.provider(outcome.provider)?.type;
      if (type !== undefined) {
        span.setAttribute('gen_ai.provider.name', type);
        span.setAttribute('gen_ai.system', type);
      }
    }
    if (outcome.attempts !== undefined) span.setAttribute('switchboard.attempts', outcome.attempts);
    if (outcome.stream !== undefined) span.setAttribute('switchboard.stream', outcome.stream);
    if (outcome.status >= 500) {
      span.setAttribute('error.type', outcome.errorCode ?? String(outcome.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (outcome.status >= 400 && outcome.errorCode) {
      span.setAttribute('error.type', outcome.errorCode);
    }
    span.end();
  }
}

/** `error.type` and the upstream status of a failed attempt. */
function errorAttributes(error: unknown, countsAsFailure: boolean): Attributes {
  const attributes: Attributes = { 'switchboard.counts_as_failure': countsAsFailure };
  if (error instanceof ProviderError) {
    // Low-cardinality, as error.type should be: the upstream status, a socket error code, or the kind.
    attributes['error.type'] =
      error.status !== undefined
        ? String(error.status)
        : error.kind === 'connection'
          ? (error.code ?? 'connection')
          : error.kind === 'aborted'
            ? 'cancelled'
            : error.kind;
    if (error.status !== undefined) attributes['http.response.status_code'] = error.status;
    if (error.code !== undefined) attributes['switchboard.error.code'] = error.code;
    attributes['switchboard.error.kind'] = error.kind;
  } else if (error instanceof Error) {
    attributes['error.type'] = error.name;
  } else {
    attributes['error.type'] = countsAsFailure ? 'failure' : 'cancelled';
  }
  return attributes;
}

function errorMessage(error: unknown): string | undefined {
  return error instanceof Error ? error.message : undefined;
}
