import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { STRATEGY_NAMES } from '../../src/router/strategies/create-strategy.ts';
import type { StrategyName } from '../../src/router/types.ts';

const STRATEGY_ENUM = STRATEGY_NAMES as unknown as readonly [StrategyName, ...StrategyName[]];
const milliseconds = z.number().nonnegative();
const positive = z.number().positive();
const fraction = z.number().min(0).max(1);

const latencySchema = z.union([z.strictObject({ p50: positive, p99: positive }), z.strictObject({ fixed: positive })]);
const tokenCountSchema = z.union([
  z.number().int().nonnegative(),
  z.strictObject({ min: z.number().int().nonnegative(), max: z.number().int().nonnegative() }),
]);
const windowShape = { fromMs: milliseconds, toMs: milliseconds };
const priceSchema = z.strictObject({ inputPerMTok: z.number().nonnegative(), outputPerMTok: z.number().nonnegative() });

/** One synthetic provider of a scenario. */
const providerSchema = z.strictObject({
  name: z.string().min(1),
  /** Public models it serves. Default any (`*`). */
  models: z.array(z.string().min(1)).default(['*']),
  weight: z.number().nonnegative().default(1),
  pricing: z.union([priceSchema, z.record(z.string(), priceSchema)]).optional(),
  /** Time to the first token (the whole answer's start), ms. */
  firstToken: latencySchema,
  /** Output speed once the first token is out. */
  tokensPerSecond: positive.default(100),
  /** Requests served at once; more wait in the queue. */
  concurrency: z.number().int().positive().default(1_000),
  /** Waiting requests beyond which the provider answers 429 at once. */
  queue: z.number().int().nonnegative().default(10_000),
  /** Background share of requests failing with a 500 after `firstToken`. */
  errorRate: fraction.default(0),
  /** Some first tokens are much later than the distribution says. */
  slowFirstToken: z.strictObject({ probability: fraction, extraMs: milliseconds }).optional(),
  /** Latency multiplier ramping linearly from 1 at `fromMs` to `factor` at `toMs`, and staying there. */
  degrade: z.array(z.strictObject({ ...windowShape, factor: positive })).default([]),
  /** Windows where every request fails: `error` (503 after 50 ms), `refuse` (connection refused at once), `hang`. */
  outages: z
    .array(z.strictObject({ ...windowShape, mode: z.enum(['error', 'refuse', 'hang']).default('error') }))
    .default([]),
  /** 429 storms: each request in the window is refused with this probability and `retry-after`. */
  rateLimits: z
    .array(z.strictObject({ ...windowShape, probability: fraction.default(1), retryAfterMs: milliseconds.optional() }))
    .default([]),
});

/** A scenario file: traffic, router settings, synthetic providers. */
export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  seed: z.number().int().default(1),
  durationMs: positive,
  traffic: z.strictObject({
    /** Poisson arrivals per second. */
    ratePerSecond: positive,
    model: z.string().min(1).default('gpt-4o-mini'),
    /** Share of streamed requests. */
    streamFraction: fraction.default(0.5),
    /** Distinct session keys (used by affinity), drawn uniformly per request. */
    sessions: z.number().int().positive().default(100),
    promptTokens: tokenCountSchema.default(1_000),
    completionTokens: tokenCountSchema.default(200),
  }),
  router: z
    .strictObject({
      maxAttempts: z.number().int().positive().default(3),
      /** Per-attempt timeout, ms. */
      timeoutMs: positive.default(30_000),
      circuitBreaker: z.record(z.string(), z.number()).optional(),
    })
    .prefault({}),
  /** Strategies compared. Default every built-in one. */
  strategies: z.array(z.enum(STRATEGY_ENUM)).optional(),
  /** Router variants compared after the strategies: a strategy with affinity, hedging or a retry budget. */
  variants: z
    .array(
      z.strictObject({
        label: z.string().min(1).max(40),
        strategy: z.enum(STRATEGY_ENUM),
        affinity: z.strictObject({ ttlMs: z.number().int().positive().optional() }).optional(),
        hedge: z
          .strictObject({
            afterMs: z.union([z.number().positive(), z.literal('p95')]),
            max: z.number().int().min(1).max(3).optional(),
          })
          .optional(),
        retryBudget: z
          .strictObject({
            ratio: z.number().nonnegative().optional(),
            minPerSecond: z.number().nonnegative().optional(),
          })
          .optional(),
      }),
    )
    .default([]),
  providers: z.array(providerSchema).min(1),
});

/** A validated scenario. */
export type Scenario = z.output<typeof scenarioSchema>;
/** One validated synthetic provider. */
export type SyntheticProviderSpec = Scenario['providers'][number];

/** Validates a parsed scenario; throws an Error naming each bad field. */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new Error(`invalid scenario ${source}:\n${lines.join('\n')}`);
}

/** Reads and validates a YAML (or JSON) scenario file. */
export async function loadScenario(path: string): Promise<Scenario> {
  return parseScenario(parseYaml(await readFile(path, 'utf8')), path);
}
