/**
 * What the failover scenarios run against: two scripted OpenAI-compatible upstreams (`primary`,
 * `backup`) whose answers are chosen per upstream model name, and the gateway config pointing at
 * them (one public model per scenario on the primary, the shared fallback model on the backup,
 * timeouts of about a second, the circuit and health-check timings scaled by `scale`).
 */
import type { SwitchboardConfigInput } from '../../src/config/config-schema.ts';
import { healthyAnswer } from '../../test/support/failover-gateway.ts';
import {
  startOpenAIUpstream,
  type OpenAIUpstream,
  type UpstreamCall,
  type UpstreamScript,
} from '../../test/support/openai-upstream.ts';

/** How an upstream answers the `index`-th call (from 0) for one upstream model. */
export type ModelBehaviour = (call: UpstreamCall, index: number) => UpstreamScript;

/** A scripted upstream whose answers are set per upstream model; unscripted models answer healthily. */
export interface ScriptedUpstream {
  server: OpenAIUpstream;
  /** Sets how `upstreamModel` answers from now on (its call index restarts at 0). */
  script(upstreamModel: string, behaviour: ModelBehaviour): void;
  /** Calls received so far for `upstreamModel`. */
  callsFor(upstreamModel: string): number;
  /** Calls for `upstreamModel` since its last `script`. */
  scriptedCalls(upstreamModel: string): number;
}

/** Starts a scripted upstream named `name`. */
export async function startScriptedUpstream(name: string): Promise<ScriptedUpstream> {
  const server = await startOpenAIUpstream(name);
  const behaviours = new Map<string, { behaviour: ModelBehaviour; calls: number }>();
  const counts = new Map<string, number>();
  server.setDefault((call) => {
    const model = String(call.body?.model);
    counts.set(model, (counts.get(model) ?? 0) + 1);
    const entry = behaviours.get(model);
    if (entry === undefined) return healthyAnswer(call);
    entry.calls += 1;
    return entry.behaviour(call, entry.calls - 1);
  });
  return {
    server,
    script(upstreamModel, behaviour) {
      behaviours.set(upstreamModel, { behaviour, calls: 0 });
    },
    callsFor: (upstreamModel) => counts.get(upstreamModel) ?? 0,
    scriptedCalls: (upstreamModel) => behaviours.get(upstreamModel)?.calls ?? 0,
  };
}

/** The public model of scenario `id` on the primary; its upstream name is `<id>-upstream`. */
export function upstreamNameOf(publicModel: string): string {
  return `${publicModel}-upstream`;
}

/** The public name of `model`'s twin: another provider's model with the same upstream name (so the same answer). */
export function twinOf(model: string): string {
  return `${model}-twin`;
}

/** The shared fallback model (on the backup). */
export const FALLBACK_MODEL = 'fallback';
/** The long-context model (on the backup), the context-window fallback. */
export const LONG_MODEL = 'long';

/** Timings of a run: `scale` 1 is the table's own (a 60 s outage, 30 s circuit open time, 10 s health checks). */
export interface FailoverTimings {
  scale: number;
  /** The outage of the outage row. */
  outageMs: number;
  /** A request every … in the outage row. */
  requestEveryMs: number;
  /** Traffic must be back on the primary within this of its recovery. */
  backWithinMs: number;
  healthCheckIntervalMs: number;
  openTimeoutMs: number;
  /** The gateway's per-attempt, first-token and idle timeouts. */
  timeoutMs: number;
}

/** The timings at `scale` (the report uses 0.1: a 6 s outage, a request every 0.4 s). */
export function failoverTimings(scale: number): FailoverTimings {
  return {
    scale,
    outageMs: 60_000 * scale,
    requestEveryMs: 4_000 * scale,
    backWithinMs: 30_000 * scale,
    healthCheckIntervalMs: 10_000 * scale,
    openTimeoutMs: 30_000 * scale,
    timeoutMs: 1_000,
  };
}

/**
 * The gateway config of a run: provider `primary` serves each of `primaryModels` under its own
 * public name (upstream `<name>-upstream`), `backup` serves `fallback`, `long` and the twins of
 * `backupTwins`, `claude` (Anthropic, on the backup's server) the twins of `claudeTwins`; a model
 * with a twin falls back to it, every other model to `fallback`, unless `fallbacks` says otherwise.
 */
export function failoverConfig(options: {
  primaryURL: string;
  backupURL: string;
  primaryModels: readonly string[];
  /** Models whose twin `<name>-twin` the backup serves (the same upstream name, so the same answer): where a recovered stream continues. */
  backupTwins: readonly string[];
  /** Models whose twin an Anthropic provider (`claude`, on the backup's server) serves: a fallback that takes assistant prefills. */
  claudeTwins: readonly string[];
  fallbacks: Record<string, string[]>;
  contextWindowFallbacks: Record<string, string[]>;
  timings: FailoverTimings;
}): SwitchboardConfigInput {
  const { timings } = options;
  return {
    server: { logLevel: 'error' },
    router: {
      strategy: 'availability',
      fallbacks: {
        '*': [FALLBACK_MODEL],
        ...Object.fromEntries([...options.backupTwins, ...options.claudeTwins].map((name) => [name, [twinOf(name)]])),
        ...options.fallbacks,
      },
      contextWindowFallbacks: options.contextWindowFallbacks,
      retry: { sameProvider: 1, backoffMs: 50, maxRetryAfterMs: 3_000 },
      maxAttempts: 3,
      deadlineMs: 5 * timings.timeoutMs,
      requestTimeoutMs: timings.timeoutMs,
      firstTokenTimeoutMs: timings.timeoutMs,
      streamIdleTimeoutMs: timings.timeoutMs,
      circuitBreaker: { openTimeoutMs: timings.openTimeoutMs },
      healthCheck: { intervalMs: timings.healthCheckIntervalMs, timeoutMs: timings.timeoutMs },
    },
    providers: [
      {
        name: 'primary',
        type: 'openai',
        baseURL: options.primaryURL,
        apiKey: 'sk-failover-primary',
        models: options.primaryModels.map((name) => ({ name, upstream: upstreamNameOf(name) })),
      },
      {
        name: 'backup',
        type: 'openai',
        baseURL: options.backupURL,
        apiKey: 'sk-failover-backup',
        models: [
          ...[FALLBACK_MODEL, LONG_MODEL].map((name) => ({ name, upstream: upstreamNameOf(name) })),
          ...options.backupTwins.map((name) => ({ name: twinOf(name), upstream: upstreamNameOf(name) })),
        ],
      },
      {
        name: 'claude',
        type: 'anthropic',
        baseURL: options.backupURL.replace(/\/v1$/, ''),
        apiKey: 'sk-ant-failover-claude',
        models: options.claudeTwins.map((name) => ({ name: twinOf(name), upstream: upstreamNameOf(name) })),
      },
    ],
  };
}
