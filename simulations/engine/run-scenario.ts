import { createSeededRandom } from '../../src/contract/seeded-random.ts';
import type { ChatCompletionRequest } from '../../src/contract/chat-types.ts';
import { Router } from '../../src/router/router.ts';
import type { CircuitBreakerConfig, RouterOptions, StrategyName } from '../../src/router/types.ts';
import type { Scenario } from './scenario.ts';
import { createSyntheticProvider, TIME_ORIGIN, type SyntheticProvider } from './synthetic-provider.ts';
import { VirtualLoop } from './virtual-loop.ts';

/** One simulated client request and what it got. */
export interface RequestOutcome {
  /** Arrival, ms since the scenario's start. */
  at: number;
  /** Time to the first token (streams) or the whole answer (non-streamed), ms; failures: time to the error. */
  latencyMs: number;
  ok: boolean;
  /** Provider that served it (or failed last); undefined when none was tried. */
  provider: string | undefined;
  /** Upstream attempts. */
  attempts: number;
  stream: boolean;
  /** The request's session key (its `user`). */
  session: string;
}

/** What one strategy did in one scenario. */
export interface StrategyRun {
  /** The label of the run (the strategy, or strategy + options). */
  label: string;
  strategy: StrategyName;
  outcomes: RequestOutcome[];
  /** Dollars of every metered answer, from the router's result events. */
  costUsd: number;
  /** Calls each synthetic provider received (every attempt). */
  providerCalls: Record<string, number>;
  /** Calls cancelled by the router (hedging losers). */
  cancelledCalls: number;
  /** Virtual time the run took to drain, ms. */
  endedAtMs: number;
}

/** A variant of the router compared in the table: a strategy and the options it runs with. */
export interface RouterVariant {
  label: string;
  strategy: StrategyName;
  /** Opt-in router features of the variant. */
  options?: Pick<RouterOptions, 'affinity' | 'hedge' | 'retryBudget'>;
}

/** Derives an independent seed for one use from the scenario's seed. */
function seedFor(seed: number, salt: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + salt * 0x27d4eb2d) >>> 0;
}

/**
 * Runs `scenario` through the real `Router` with `variant`'s strategy on a virtual clock:
 * Poisson arrivals (the same for every variant: one seed), synthetic providers, every request
 * routed with `chatCompletion` / `chatCompletionStream` as the gateway routes them.
 */
export async function runScenario(scenario: Scenario, variant: RouterVariant): Promise<StrategyRun> {
  const loop = new VirtualLoop(TIME_ORIGIN);
  const router = new Router({
    strategy: variant.strategy,
    clock: loop.now,
    timers: loop.timers,
    random: createSeededRandom(seedFor(scenario.seed, 1)),
    ...variant.options,
    ...(scenario.router.circuitBreaker !== undefined
      ? { circuitBreaker: scenario.router.circuitBreaker as Partial<CircuitBreakerConfig> }
      : {}),
  });
  const providers: SyntheticProvider[] = scenario.providers.map((spec, index) => {
    const provider = createSyntheticProvider(spec, loop, createSeededRandom(seedFor(scenario.seed, 100 + index)), {
      promptTokens: scenario.traffic.promptTokens,
      completionTokens: scenario.traffic.completionTokens,
    });
    router.registerProvider(provider, {
      weight: spec.weight,
      ...(spec.pricing !== undefined ? { pricing: spec.pricing } : {}),
    });
    return provider;
  });
  let costUsd = 0;
  router.on('result', (event) => {
    if (event.costUsd !== undefined) costUsd += event.costUsd;
  });

  const outcomes: RequestOutcome[] = [];
  const trafficRandom = createSeededRandom(seedFor(scenario.seed, 2));
  const { traffic } = scenario;
  const callOptions = { maxAttempts: scenario.router.maxAttempts, timeoutMs: scenario.router.timeoutMs };
  let arrival = 0;
  const scheduleNext = () => {
    arrival += (-Math.log(1 - trafficRandom()) / traffic.ratePerSecond) * 1000;
    if (arrival >= scenario.durationMs) return;
    const stream = trafficRandom() < traffic.streamFraction;
    const session = `session-${Math.floor(trafficRandom() * traffic.sessions)}`;
    loop.schedule(arrival - (loop.now() - TIME_ORIGIN), () => {
      scheduleNext();
      const request: ChatCompletionRequest = {
        model: traffic.model,
        messages: [{ role: 'user', content: 'simulated' }],
        user: session,
      };
      void simulateRequest(router, loop, request, stream, callOptions).then((outcome) =>
        outcomes.push({ ...outcome, session }),
      );
    });
  };
  scheduleNext();
  await loop.run();
  outcomes.sort((left, right) => left.at - right.at);
  const providerCalls: Record<string, number> = {};
  let cancelledCalls = 0;
  for (const provider of providers) {
    providerCalls[provider.name] = provider.stats.calls;
    cancelledCalls += provider.stats.cancelled;
  }
  return {
    label: variant.label,
    strategy: variant.strategy,
    outcomes,
    costUsd,
    providerCalls,
    cancelledCalls,
    endedAtMs: loop.now() - TIME_ORIGIN,
  };
}

async function simulateRequest(
  router: Router,
  loop: VirtualLoop,
  request: ChatCompletionRequest,
  stream: boolean,
  options: { maxAttempts: number; timeoutMs: number },
): Promise<Omit<RequestOutcome, 'session'>> {
  const started = loop.now();
  const at = started - TIME_ORIGIN;
  try {
    if (stream) {
      const routed = await router.chatCompletionStream(request, options);
      const latencyMs = loop.now() - started;
      let ok = true;
      try {
        for await (const chunk of routed.stream) void chunk;
      } catch {
        ok = false;
      }
      return { at, latencyMs, ok, provider: routed.provider, attempts: routed.attempts, stream };
    }
    const routed = await router.chatCompletion(request, options);
    return {
      at,
      latencyMs: loop.now() - started,
      ok: true,
      provider: routed.provider,
      attempts: routed.attempts,
      stream,
    };
  } catch (error) {
    const failed = error as { attempts?: number; cause?: { provider?: string }; lastError?: { provider?: string } };
    return {
      at,
      latencyMs: loop.now() - started,
      ok: false,
      provider: failed.lastError?.provider ?? failed.cause?.provider,
      attempts: failed.attempts ?? 0,
      stream,
    };
  }
}
