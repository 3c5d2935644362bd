import { ConfigurationError } from './errors.ts';
import type { FallbackChains, RetryOptions, RoutingOptions, StreamRecoveryMode } from './types.ts';

/** `RoutingOptions` with every default applied; what a routed call reads. */
export interface RoutingSettings {
  readonly fallbacks: FallbackChains;
  readonly contextWindowFallbacks: FallbackChains;
  readonly contentPolicyFallbacks: FallbackChains;
  readonly retry: Readonly<RetryOptions>;
  readonly maxAttempts: number;
  readonly deadlineMs: number;
  readonly requestTimeoutMs: number;
  readonly firstTokenTimeoutMs: number;
  readonly streamIdleTimeoutMs: number;
  readonly streamRecovery: StreamRecoveryMode;
}

const NO_CHAINS: FallbackChains = Object.freeze({});

/** The defaults of every routing option (DESIGN.md, "Models: aliases, upstream names, fallback chains"). */
export const DEFAULT_ROUTING_SETTINGS: RoutingSettings = Object.freeze({
  fallbacks: NO_CHAINS,
  contextWindowFallbacks: NO_CHAINS,
  contentPolicyFallbacks: NO_CHAINS,
  retry: Object.freeze({ sameProvider: 1, backoffMs: 200, maxRetryAfterMs: 3_000 }),
  maxAttempts: 3,
  deadlineMs: 120_000,
  requestTimeoutMs: 120_000,
  firstTokenTimeoutMs: 15_000,
  streamIdleTimeoutMs: 30_000,
  streamRecovery: 'off',
});

const KEYS = [
  'fallbacks',
  'contextWindowFallbacks',
  'contentPolicyFallbacks',
  'retry',
  'maxAttempts',
  'deadlineMs',
  'requestTimeoutMs',
  'firstTokenTimeoutMs',
  'streamIdleTimeoutMs',
  'streamRecovery',
] as const;

/** True when `options` sets any routing option (so a call without overrides reuses the router's settings as is). */
export function hasRoutingOverrides(options: RoutingOptions & { timeoutMs?: number }): boolean {
  if (options.timeoutMs !== undefined) return true;
  for (const key of KEYS) if (options[key] !== undefined) return true;
  return false;
}

/**
 * Merges `options` over `base`, checking every value.
 *
 * @throws ConfigurationError naming the bad option.
 */
export function resolveRoutingSettings(
  options: RoutingOptions & { timeoutMs?: number },
  base: RoutingSettings = DEFAULT_ROUTING_SETTINGS,
): RoutingSettings {
  const retry = { ...base.retry, ...definedOnly(options.retry) };
  const settings: RoutingSettings = {
    fallbacks: chains(options.fallbacks, base.fallbacks, 'fallbacks'),
    contextWindowFallbacks: chains(
      options.contextWindowFallbacks,
      base.contextWindowFallbacks,
      'contextWindowFallbacks',
    ),
    contentPolicyFallbacks: chains(
      options.contentPolicyFallbacks,
      base.contentPolicyFallbacks,
      'contentPolicyFallbacks',
    ),
    retry,
    maxAttempts: options.maxAttempts ?? base.maxAttempts,
    deadlineMs: options.deadlineMs ?? base.deadlineMs,
    requestTimeoutMs: options.requestTimeoutMs ?? options.timeoutMs ?? base.requestTimeoutMs,
    firstTokenTimeoutMs: options.firstTokenTimeoutMs ?? base.firstTokenTimeoutMs,
    streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? base.streamIdleTimeoutMs,
    streamRecovery: options.streamRecovery ?? base.streamRecovery,
  };
  integer(settings.maxAttempts, 'maxAttempts', 1);
  integer(retry.sameProvider, 'retry.sameProvider', 0);
  integer(retry.backoffMs, 'retry.backoffMs', 0);
  integer(retry.maxRetryAfterMs, 'retry.maxRetryAfterMs', 0);
  integer(settings.deadlineMs, 'deadlineMs', 1);
  integer(settings.requestTimeoutMs, 'requestTimeoutMs', 0);
  integer(settings.firstTokenTimeoutMs, 'firstTokenTimeoutMs', 0);
  integer(settings.streamIdleTimeoutMs, 'streamIdleTimeoutMs', 0);
  if (settings.streamRecovery !== 'off' && settings.streamRecovery !== 'continue')
    throw new ConfigurationError(
      `streamRecovery: expected 'off' or 'continue', got ${JSON.stringify(settings.streamRecovery)}`,
    );
  return Object.freeze(settings);
}

/** The models to try after `model` failed, from `chains`: its own entry, else the `'*'` entry, else none. */
export function chainFor(chains: FallbackChains, model: string): readonly string[] | undefined {
  return Object.hasOwn(chains, model) ? chains[model] : Object.hasOwn(chains, '*') ? chains['*'] : undefined;
}

function chains(value: FallbackChains | undefined, base: FallbackChains, key: string): FallbackChains {
  if (value === undefined) return base;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigurationError(`${key}: expected a map from model to a list of models`);
  const copy: Record<string, readonly string[]> = {};
  for (const [model, list] of Object.entries(value)) {
    if (!Array.isArray(list) || list.some((entry) => typeof entry !== 'string' || entry === ''))
      throw new ConfigurationError(`${key}.${model}: expected a list of model names`);
    copy[model] = Object.freeze([...list]);
  }
  return Object.freeze(copy);
}

function integer(value: unknown, key: string, minimum: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum)
    throw new ConfigurationError(`${key}: expected an integer ≥ ${minimum}, got ${JSON.stringify(value)}`);
}

function definedOnly<Value extends object>(value: Value | undefined): Partial<Value> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<Value>;
}
