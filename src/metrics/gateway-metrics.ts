import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  AttemptEvent,
  CircuitState,
  CircuitStateChangeEvent,
  ResultEvent,
  StreamMalformedEventEvent,
  StreamRecoveryEvent,
} from '../router/types.ts';
import { LabelledCounter } from './labelled-counter.ts';
import { LabelledHistogram } from './labelled-histogram.ts';
import type { RouterEventSource } from './router-event-source.ts';

/** Label value used when a request never reached a provider (bad input, unknown model…). */
export const NO_PROVIDER_LABEL = 'none';

/** Label value of the models beyond `MAX_MODEL_LABELS` distinct ones. */
export const OTHER_MODEL_LABEL = 'other';

/**
 * Distinct `model` label values kept before new ones are counted as `other`: with a `'*'`
 * provider any string a client sends is a routable model, and every new label value is a new
 * time series in Prometheus.
 */
export const MAX_MODEL_LABELS = 200;

/**
 * Longest model name used as a label value, in bytes as the exposition prints it (UTF-8, with `"`,
 * `\` and newlines escaped to two bytes); longer ones count as `other`. With the per-metric series
 * caps below it keeps a scrape under 1 MB whatever clients send.
 */
export const MAX_MODEL_LABEL_LENGTH = 64;

/** Bytes `value` takes as a label value in the exposition: UTF-8, escapes counted. */
function exposedLength(value: string): number {
  let escapes = 0;
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code === 0x22 || code === 0x5c || code === 0x0a) escapes += 1;
  }
  return Buffer.byteLength(value) + escapes;
}

/**
 * Most series per labelled metric, sized so that every metric full, with the longest label values,
 * stays under 1 MB of exposition: histograms print one line per bucket, so they get fewer series.
 */
const SERIES_CAPS = {
  requests: 500,
  requestDuration: 100,
  timeToFirstToken: 50,
  requestAttempts: 50,
  tokens: 200,
  attempts: 200,
  fallbacks: 100,
  /** Deployments (provider × model) whose circuit state is exported; open and half-open ones first. */
  deploymentStates: 100,
} as const;

const CIRCUIT_STATES: readonly CircuitState[] = ['closed', 'half_open', 'open'];
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const FIRST_TOKEN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const ATTEMPT_BUCKETS = [1, 2, 3, 4, 5, 8];

/** What the gateway reports when it has answered a request. */
export interface RequestObservation {
  /** Provider that served (or last failed) the request; absent when none was tried. */
  provider?: string | undefined;
  /** The requested model, when the request was routable (absent for bad input and unknown models). */
  model?: string | undefined;
  /** HTTP status sent to the client. */
  status: number;
  stream: boolean;
  /** Time from receiving the request to the last byte, in ms. */
  durationMs: number;
  /** Providers tried, when any. */
  attempts?: number | undefined;
  /** The API path served (`/v1/messages`…); default `/v1/chat/completions`. */
  endpoint?: string | undefined;
}

/** The `endpoint` label of chat completions, the default of every observation. */
export const CHAT_COMPLETIONS_ENDPOINT = '/v1/chat/completions';

/** What `requestRefused` records. */
export interface RefusedRequestObservation {
  /** HTTP status sent to the client. */
  status: number;
  /** Time from receiving the request to the answer, in ms. */
  durationMs: number;
  /** The API path refused; default `/v1/chat/completions`. */
  endpoint?: string | undefined;
}

/** Token counts of one response (OpenAI's `usage`). */
export interface TokenUsage {
  prompt_tokens?: number | undefined;
  completion_tokens?: number | undefined;
}

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** Router whose events and health the metrics follow. */
  router: RouterEventSource;
  /** Also collect prom-client's default process metrics (CPU, memory, event loop). Default false. */
  collectProcessMetrics?: boolean;
  /** The shared-state backend (scale-out): exported as `switchboard_state_backend_up`. Absent: no such gauge. */
  stateBackend?: { isUp(): boolean } | undefined;
}

/**
 * Prometheus metrics of one gateway: its own `Registry` (never the global one, so several
 * apps in one process do not clash), counters fed by router events, request observations
 * fed by the gateway, and per-provider gauges read from `router.healthStatus()` at scrape time.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Content type of `render()`'s output. */
  readonly contentType: string;
  /** A request entered the gateway (in-flight gauge +1). */
  requestStarted(): void;
  /** A request was answered (in-flight gauge −1, counts and latency). */
  requestFinished(observation: RequestObservation): void;
  /**
   * A chat completion request answered before it was handled (401 bad key, 429 rate limit,
   * 413 declared body too large): counted like any answered request, provider `none`, no
   * model; the in-flight gauge is not touched (`requestStarted` was never called).
   */
  requestRefused(observation: RefusedRequestObservation): void;
  /** First chunk of a stream sent to the client, `milliseconds` after the request arrived. */
  observeTimeToFirstToken(provider: string, model: string, milliseconds: number): void;
  /** Token usage reported by a response. */
  observeTokenUsage(provider: string, model: string, usage: TokenUsage | null | undefined): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  /** Stops listening to the router. */
  close(): void;
}

/**
 * Creates the gateway's metrics and subscribes them to the router's events. Names:
 * `circuit_state_changes_total` (exactly that, operators alert on it) and `switchboard_*`.
 *
 * @example
 * ```ts
 * const metrics = createMetrics({ router });
 * const text = await metrics.render(); // includes "# TYPE circuit_state_changes_total counter"
 * metrics.close();
 * ```
 */
export function createMetrics(options: MetricsOptions): GatewayMetrics {
  const { router } = options;
  const registry = new Registry();
  const registers = [registry];
  if (options.collectProcessMetrics) collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });

  const circuitStateChanges = new LabelledCounter({
    name: 'circuit_state_changes_total',
    help: 'Circuit-breaker transitions per provider and model (model "*" = the provider-wide circuit; states closed, open, half_open).',
    labelNames: ['provider', 'from', 'to', 'model'] as const,
    registers,
  });
  const requests = new LabelledCounter({
    name: 'switchboard_requests_total',
    help: 'Chat completion requests answered by the gateway, by serving provider, model, HTTP status and streaming.',
    labelNames: ['provider', 'model', 'status', 'stream'] as const,
    maxSeries: SERIES_CAPS.requests,
    registers,
  });
  const requestDuration = new LabelledHistogram({
    name: 'switchboard_request_duration_seconds',
    help: 'Time from receiving a chat completion request to its last byte.',
    labelNames: ['provider', 'model', 'status', 'stream'] as const,
    buckets: DURATION_BUCKETS,
    maxSeries: SERIES_CAPS.requestDuration,
    registers,
  });
  const endpointRequests = new LabelledCounter({
    name: 'switchboard_endpoint_requests_total',
    help: 'Requests answered per API endpoint (/v1/chat/completions, /v1/messages, /v1/responses, /v1/embeddings…), by serving provider, HTTP status and streaming.',
    labelNames: ['endpoint', 'provider', 'status', 'stream'] as const,
    registers,
  });
  const timeToFirstToken = new LabelledHistogram({
    name: 'switchboard_time_to_first_token_seconds',
    help: 'Time from receiving a streamed request to sending its first chunk.',
    labelNames: ['provider', 'model'] as const,
    buckets: FIRST_TOKEN_BUCKETS,
    maxSeries: SERIES_CAPS.timeToFirstToken,
    registers,
  });
  const requestAttempts = new LabelledHistogram({
    name: 'switchboard_request_attempts',
    help: 'Providers tried per routed request, the serving one included.',
    labelNames: ['model'] as const,
    buckets: ATTEMPT_BUCKETS,
    maxSeries: SERIES_CAPS.requestAttempts,
    registers,
  });
  let requestsInFlight = 0;
  new Gauge({
    name: 'switchboard_requests_in_flight',
    help: 'Chat completion requests being processed (streams included).',
    registers,
    collect() {
      this.set(requestsInFlight);
    },
  });
  const tokens = new LabelledCounter({
    name: 'switchboard_tokens_total',
    help: 'Tokens reported by upstream usage, by provider, model and kind (prompt, completion).',
    labelNames: ['provider', 'model', 'kind'] as const,
    maxSeries: SERIES_CAPS.tokens,
    registers,
  });
  const attempts = new LabelledCounter({
    name: 'switchboard_provider_attempts_total',
    help: 'Upstream calls made by routed requests, by provider, public model and kind (first, retry, fallback).',
    labelNames: ['provider', 'model', 'kind'] as const,
    maxSeries: SERIES_CAPS.attempts,
    registers,
  });
  const fallbacks = new LabelledCounter({
    name: 'switchboard_fallbacks_total',
    help: 'Fallbacks: a request moved on to this provider or model, by why it left the previous one.',
    labelNames: ['provider', 'model', 'reason'] as const,
    registers,
  });
  const retries = new LabelledCounter({
    name: 'switchboard_retries_total',
    help: 'Same-provider retries (after a 5xx, 408, a reset, or a waited-out retry-after), by provider and model.',
    labelNames: ['provider', 'model'] as const,
    maxSeries: SERIES_CAPS.fallbacks,
    registers,
  });
  const malformedEvents = new LabelledCounter({
    name: 'switchboard_stream_malformed_events_total',
    help: 'Malformed events skipped in otherwise healthy upstream streams (not forwarded), by provider.',
    labelNames: ['provider'] as const,
    registers,
  });
  const recoveries = new LabelledCounter({
    name: 'switchboard_stream_recoveries_total',
    help: 'Streams that failed after their commit point with streamRecovery: continue, by the failed provider, model and outcome (continued_prefill, continued_fresh, mismatch, failed, not_resumable).',
    labelNames: ['provider', 'model', 'outcome'] as const,
    registers,
  });
  const results = new LabelledCounter({
    name: 'switchboard_provider_results_total',
    help: 'Results recorded for a provider: success, failure (counts against health) or ignored (client error, 429 cool-down, abort).',
    labelNames: ['provider', 'outcome'] as const,
    registers,
  });
  const cost = new LabelledCounter({
    name: 'switchboard_cost_usd_total',
    help: "US dollars spent, from each answer's token usage × the provider's pricing, by provider and model.",
    labelNames: ['provider', 'model'] as const,
    registers,
  });
  const providerLatency = new LabelledHistogram({
    name: 'switchboard_provider_latency_seconds',
    help: 'Upstream latency of successful calls (time to first chunk for streams).',
    labelNames: ['provider'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });

  let snapshotCache: { at: number; value: ReturnType<RouterEventSource['healthStatus']> } | undefined;
  /** One `healthStatus()` per scrape, shared by every gauge's collect callback. */
  const healthNow = () => {
    const now = Date.now();
    if (snapshotCache === undefined || now - snapshotCache.at > 50)
      snapshotCache = { at: now, value: router.healthStatus() };
    return snapshotCache.value;
  };
  const latencyEma = new Gauge({
    name: 'switchboard_provider_latency_ema_seconds',
    help: "The router's latency EMA per provider (0 = not measured yet).",
    labelNames: ['provider'] as const,
    registers,
    aggregator: 'average',
    collect() {
      latencyEma.reset();
      for (const [provider, health] of Object.entries(healthNow()))
        latencyEma.set({ provider }, health.latencyMs / 1000);
    },
  });
  const failureRate = new Gauge({
    name: 'switchboard_provider_failure_rate',
    help: "The router's failure-rate score per provider, 0..1.",
    labelNames: ['provider'] as const,
    registers,
    aggregator: 'average',
    collect() {
      failureRate.reset();
      for (const [provider, health] of Object.entries(healthNow())) failureRate.set({ provider }, health.failureRate);
    },
  });
  const circuitState = new Gauge({
    name: 'switchboard_provider_circuit_state',
    help: 'Provider-wide circuit state per provider: 1 for the current state (closed, half_open, open), 0 for the others.',
    labelNames: ['provider', 'state'] as const,
    registers,
    aggregator: 'max',
    collect() {
      circuitState.reset();
      for (const [provider, health] of Object.entries(healthNow())) {
        for (const state of CIRCUIT_STATES)
          circuitState.set({ provider, state }, health.circuitState === state ? 1 : 0);
      }
    },
  });
  const deploymentCircuitState = new Gauge({
    name: 'switchboard_deployment_circuit_state',
    help: 'Circuit state per deployment (provider × public model): 1 for the current state (closed, half_open, open), 0 for the others.',
    labelNames: ['provider', 'model', 'state'] as const,
    registers,
    aggregator: 'max',
    collect() {
      deploymentCircuitState.reset();
      // At most `deploymentStates` deployments: those not closed first, as they are what an operator looks for.
      const closed: { provider: string; model: string }[] = [];
      let exported = 0;
      for (const [provider, health] of Object.entries(healthNow())) {
        for (const [model, deployment] of Object.entries(health.deployments ?? {})) {
          if (modelLabel(model) !== model) continue;
          if (deployment.circuitState === 'closed') {
            if (closed.length < SERIES_CAPS.deploymentStates) closed.push({ provider, model });
            continue;
          }
          if (exported >= SERIES_CAPS.deploymentStates) continue;
          exported += 1;
          for (const state of CIRCUIT_STATES)
            deploymentCircuitState.set({ provider, model, state }, deployment.circuitState === state ? 1 : 0);
        }
      }
      for (const { provider, model } of closed.slice(0, SERIES_CAPS.deploymentStates - exported))
        for (const state of CIRCUIT_STATES)
          deploymentCircuitState.set({ provider, model, state }, state === 'closed' ? 1 : 0);
    },
  });
  const available = new Gauge({
    name: 'switchboard_provider_available',
    help: 'Manual availability flag per provider (admin enable/disable, health probes): 1 or 0.',
    labelNames: ['provider'] as const,
    registers,
    aggregator: 'min',
    collect() {
      available.reset();
      for (const [provider, health] of Object.entries(healthNow()))
        available.set({ provider }, health.available ? 1 : 0);
    },
  });
  const providerInFlight = new Gauge({
    name: 'switchboard_provider_in_flight',
    help: 'Calls in flight per provider, as the router counts them.',
    labelNames: ['provider'] as const,
    registers,
    collect() {
      providerInFlight.reset();
      for (const [provider, health] of Object.entries(healthNow()))
        providerInFlight.set({ provider }, health.inFlight ?? 0);
    },
  });

  if (router.isReady !== undefined) {
    const isReady = router.isReady.bind(router);
    new Gauge({
      name: 'switchboard_ready',
      help: 'Whether at least one provider can take traffic now (1) or none can (0), as GET /ready answers.',
      registers,
      aggregator: 'max',
      collect() {
        this.set(isReady() ? 1 : 0);
      },
    });
  }

  const stateBackend = options.stateBackend;
  if (stateBackend !== undefined) {
    new Gauge({
      name: 'switchboard_state_backend_up',
      help: 'Whether the shared-state backend (Redis, or the cluster primary) is reachable (1) or this replica serves on local state (0).',
      registers,
      aggregator: 'min',
      collect() {
        this.set(stateBackend.isUp() ? 1 : 0);
      },
    });
  }

  const modelLabels = new Set<string>();
  const modelLabel = (model: string): string => {
    if (modelLabels.has(model)) return model;
    if (
      modelLabels.size >= MAX_MODEL_LABELS ||
      model.length > MAX_MODEL_LABEL_LENGTH ||
      exposedLength(model) > MAX_MODEL_LABEL_LENGTH
    )
      return OTHER_MODEL_LABEL;
    modelLabels.add(model);
    return model;
  };

  // A transition applied from another replica (origin `fleet`) was counted by that replica: summing the fleet's counters gives each change once.
  const onCircuitStateChange = (event: CircuitStateChangeEvent) => {
    if (event.origin === 'fleet') return;
    circuitStateChanges.labels(event.provider, event.from, event.to, modelLabel(event.model)).inc();
  };
  const onResult = (event: ResultEvent) => {
    const outcome = event.success ? 'success' : event.countsAsFailure === false ? 'ignored' : 'failure';
    results.labels(event.provider, outcome).inc();
    if (event.success && event.latencyMs !== undefined && event.latencyMs > 0)
      providerLatency.labels(event.provider).observe(event.latencyMs / 1000);
    if (event.costUsd !== undefined && event.costUsd > 0 && event.model !== undefined)
      cost.labels(event.provider, modelLabel(event.model)).inc(event.costUsd);
  };
  const onAttempt = (event: AttemptEvent) => {
    const model = modelLabel(event.model);
    attempts.labels(event.provider, model, event.kind).inc();
    if (event.kind === 'fallback') fallbacks.labels(event.provider, model, event.reason ?? 'unavailable').inc();
    else if (event.kind === 'retry') retries.labels(event.provider, model).inc();
  };
  router.on('circuitStateChange', onCircuitStateChange);
  router.on('result', onResult);
  router.on('attempt', onAttempt);
  const onMalformedEvent = (event: StreamMalformedEventEvent) => malformedEvents.labels(event.provider).inc();
  router.on('streamMalformedEvent', onMalformedEvent);
  const onStreamRecovery = (event: StreamRecoveryEvent) =>
    recoveries.labels(event.provider, modelLabel(event.model), event.outcome).inc();
  router.on('streamRecovery', onStreamRecovery);

  const countAnswer = (
    endpoint: string | undefined,
    provider: string,
    model: string,
    status: string,
    stream: string,
    durationMs: number,
  ) => {
    requests.labels(provider, model, status, stream).inc();
    requestDuration.labels(provider, model, status, stream).observe(durationMs / 1000);
    endpointRequests.labels(endpoint ?? CHAT_COMPLETIONS_ENDPOINT, provider, status, stream).inc();
  };

  return {
    registry,
    contentType: registry.contentType,
    requestStarted() {
      requestsInFlight += 1;
    },
    requestFinished(observation) {
      requestsInFlight -= 1;
      const provider = observation.provider ?? NO_PROVIDER_LABEL;
      const model = observation.model === undefined ? '' : modelLabel(observation.model);
      countAnswer(
        observation.endpoint,
        provider,
        model,
        String(observation.status),
        observation.stream ? 'true' : 'false',
        observation.durationMs,
      );
      if (observation.attempts !== undefined && observation.attempts > 0 && observation.model !== undefined) {
        requestAttempts.labels(model).observe(observation.attempts);
      }
    },
    requestRefused(observation) {
      countAnswer(
        observation.endpoint,
        NO_PROVIDER_LABEL,
        '',
        String(observation.status),
        'false',
        observation.durationMs,
      );
    },
    observeTimeToFirstToken(provider, model, milliseconds) {
      timeToFirstToken.labels(provider, modelLabel(model)).observe(milliseconds / 1000);
    },
    observeTokenUsage(provider, model, usage) {
      if (usage === null || usage === undefined) return;
      model = modelLabel(model);
      if (typeof usage.prompt_tokens === 'number' && usage.prompt_tokens > 0)
        tokens.labels(provider, model, 'prompt').inc(usage.prompt_tokens);
      if (typeof usage.completion_tokens === 'number' && usage.completion_tokens > 0)
        tokens.labels(provider, model, 'completion').inc(usage.completion_tokens);
    },
    render() {
      snapshotCache = undefined;
      return registry.metrics();
    },
    close() {
      router.off('circuitStateChange', onCircuitStateChange);
      router.off('result', onResult);
      router.off('streamMalformedEvent', onMalformedEvent);
      router.off('streamRecovery', onStreamRecovery);
      router.off('attempt', onAttempt);
    },
  };
}
