/**
 * Micro-benchmark of the gateway's per-request metric calls: one request's worth of
 * `requestStarted`, the router's `attempt` and `result` events (a fallback on every fourth
 * request), time to first token (every other request streams), `observeTokenUsage` and
 * `requestFinished`, fed to `createMetrics` through a bare event source (no router work timed).
 *
 * Alone: `node --expose-gc --import tsx bench/metrics-observe.ts [--json]`. Prints ns per
 * request (median of timed batches after a warm-up) and bytes allocated per request (median
 * heap growth of small batches that saw no garbage collection).
 */
import { GCProfiler } from 'node:v8';
import { createMetrics, type GatewayMetrics } from '../src/metrics/gateway-metrics.ts';
import type { RouterEventSource } from '../src/metrics/router-event-source.ts';
import type { AttemptEvent, HealthSnapshot, ResultEvent, RouterEvents } from '../src/router/types.ts';
import { isMainModule } from './main-module.ts';
import { formatNumber, median } from './stats.ts';
import { forceGc } from './force-gc.ts';

/** What this benchmark measured. */
export interface MetricsObserveReport {
  /** Median cost of one request's metric calls, in ns. */
  nanosecondsPerRequest: number;
  /** Median heap growth per request, in bytes (null when no GC could be forced). */
  bytesPerRequest: number | null;
}

type Listener = (event: never) => void;

/** A router stand-in that only dispatches events: the benchmark times the metrics, not the router. */
class BareEventSource implements RouterEventSource {
  private readonly listeners = new Map<string, Listener[]>();

  on<Name extends keyof RouterEvents>(name: Name, listener: (event: RouterEvents[Name]) => void): void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener as Listener);
    this.listeners.set(name, list);
  }

  off<Name extends keyof RouterEvents>(name: Name, listener: (event: RouterEvents[Name]) => void): void {
    const list = this.listeners.get(name) ?? [];
    this.listeners.set(
      name,
      list.filter((entry) => entry !== (listener as Listener)),
    );
  }

  emit<Name extends keyof RouterEvents>(name: Name, event: RouterEvents[Name]): void {
    const list = this.listeners.get(name);
    if (list === undefined) return;
    for (const listener of list) (listener as (event: RouterEvents[Name]) => void)(event);
  }

  healthStatus(): Record<string, HealthSnapshot> {
    return {};
  }
}

const providers = ['primary', 'secondary', 'tertiary'];
const models = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'llama-3'];
const usage = { prompt_tokens: 42, completion_tokens: 128 };

/** Events built once: the router allocates its events whether or not metrics listen. */
interface RequestShape {
  provider: string;
  model: string;
  stream: boolean;
  durationMs: number;
  firstAttempt: AttemptEvent;
  failedResult: ResultEvent | null;
  fallbackAttempt: AttemptEvent | null;
  result: ResultEvent;
  fallbackProvider: string;
}

function requestShapes(): RequestShape[] {
  const shapes: RequestShape[] = [];
  for (let index = 0; index < 48; index += 1) {
    const provider = providers[index % providers.length] as string;
    const fallbackProvider = providers[(index + 1) % providers.length] as string;
    const model = models[index % models.length] as string;
    const stream = index % 2 === 0;
    const fallback = index % 4 === 3;
    const health = { latencyEmaMs: 80, failureRate: 0, circuitState: 'closed' as const };
    shapes.push({
      provider,
      model,
      stream,
      durationMs: 3 + ((index * 37) % 400),
      firstAttempt: { model, requestedModel: model, provider, attempt: 1, kind: 'first', streaming: stream },
      failedResult: fallback ? { provider, success: false, ...health } : null,
      fallbackAttempt: fallback
        ? {
            model,
            requestedModel: model,
            provider: fallbackProvider,
            attempt: 2,
            reason: 'server_error',
            kind: 'fallback',
            previousError: 'upstream 503',
            streaming: stream,
          }
        : null,
      result: {
        provider: fallback ? fallbackProvider : provider,
        success: true,
        latencyMs: 2 + ((index * 13) % 300),
        ...health,
      },
      fallbackProvider,
    });
  }
  return shapes;
}

function runRequests(
  metrics: GatewayMetrics,
  source: BareEventSource,
  shapes: readonly RequestShape[],
  count: number,
  offset: number,
): void {
  for (let index = 0; index < count; index += 1) {
    const shape = shapes[(offset + index) % shapes.length] as RequestShape;
    metrics.requestStarted();
    source.emit('attempt', shape.firstAttempt);
    let served = shape.provider;
    if (shape.failedResult !== null && shape.fallbackAttempt !== null) {
      source.emit('result', shape.failedResult);
      source.emit('attempt', shape.fallbackAttempt);
      served = shape.fallbackProvider;
    }
    source.emit('result', shape.result);
    if (shape.stream) metrics.observeTimeToFirstToken(served, shape.model, shape.durationMs / 4);
    metrics.observeTokenUsage(served, shape.model, usage);
    metrics.requestFinished({
      provider: served,
      model: shape.model,
      status: 200,
      stream: shape.stream,
      durationMs: shape.durationMs,
      attempts: shape.fallbackAttempt === null ? 1 : 2,
    });
  }
}

function measureTime(metrics: GatewayMetrics, source: BareEventSource, shapes: readonly RequestShape[]): number {
  const batch = 20_000;
  const warmupEnd = process.hrtime.bigint() + 300_000_000n;
  while (process.hrtime.bigint() < warmupEnd) runRequests(metrics, source, shapes, batch, 0);
  const results: number[] = [];
  for (let sample = 0; sample < 15; sample += 1) {
    const started = process.hrtime.bigint();
    runRequests(metrics, source, shapes, batch, sample * 7);
    results.push(Number(process.hrtime.bigint() - started) / batch);
  }
  return median(results);
}

function measureAllocation(
  metrics: GatewayMetrics,
  source: BareEventSource,
  shapes: readonly RequestShape[],
  gc: () => void,
): number {
  const batch = 48;
  const results: number[] = [];
  for (let sample = 0; sample < 200; sample += 1) {
    gc();
    const profiler = new GCProfiler();
    profiler.start();
    const before = process.memoryUsage().heapUsed;
    runRequests(metrics, source, shapes, batch, 0);
    const after = process.memoryUsage().heapUsed;
    const collections = profiler.stop()?.statistics.length ?? 0;
    if (collections === 0) results.push((after - before) / batch);
  }
  return median(results);
}

/** Runs the benchmark on a fresh `createMetrics`. */
export async function runMetricsObserveBenchmark(): Promise<MetricsObserveReport> {
  const source = new BareEventSource();
  const metrics = createMetrics({ router: source });
  const shapes = requestShapes();
  const nanosecondsPerRequest = measureTime(metrics, source, shapes);
  const gc = forceGc();
  const bytesPerRequest = gc === null ? null : measureAllocation(metrics, source, shapes, gc);
  // Rendering proves the observations landed (and keeps them from being optimised away).
  if (!(await metrics.render()).includes('switchboard_requests_total{provider="primary"'))
    throw new Error('metrics did not record the requests');
  metrics.close();
  return { nanosecondsPerRequest, bytesPerRequest };
}

/** The report as two Markdown table rows. */
export function formatMetricsObserveMarkdown(report: MetricsObserveReport): string {
  return [
    '| metric calls of one request | value |',
    '| --- | ---: |',
    `| time, ns per request | ${formatNumber(report.nanosecondsPerRequest)} |`,
    `| heap allocated, bytes per request | ${report.bytesPerRequest === null ? 'n/a (no GC could be forced)' : formatNumber(report.bytesPerRequest)} |`,
  ].join('\n');
}

if (isMainModule(import.meta.url)) {
  const report = await runMetricsObserveBenchmark();
  process.stdout.write(
    process.argv.includes('--json') ? `${JSON.stringify(report)}\n` : `${formatMetricsObserveMarkdown(report)}\n`,
  );
}
