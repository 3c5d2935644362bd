import { ConfigurationError } from './errors.ts';
import { HedgePolicy } from './hedge-policy.ts';
import { RetryBudget } from './retry-budget.ts';
import { SessionAffinity } from './session-affinity.ts';
import type { RouterOptions } from './types.ts';

/** The opt-in routing features of a router; each undefined when off, so the hot path pays one check. */
export interface RoutingExtras {
  affinity: SessionAffinity | undefined;
  hedge: HedgePolicy | undefined;
  retryBudget: RetryBudget | undefined;
}

/** Longest affinity header name accepted. */
const MAX_HEADER_LENGTH = 128;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Builds `affinity`, `hedge` and `retryBudget` from the router's options, checking every value.
 *
 * @throws ConfigurationError naming the bad option.
 */
export function createRoutingExtras(options: RouterOptions): RoutingExtras {
  return {
    affinity: options.affinity === undefined ? undefined : createAffinity(options.affinity),
    hedge: options.hedge === undefined ? undefined : new HedgePolicy(options.hedge),
    retryBudget: options.retryBudget === undefined ? undefined : createRetryBudget(options.retryBudget),
  };
}

function createAffinity(options: NonNullable<RouterOptions['affinity']>): SessionAffinity {
  const affinity = new SessionAffinity(definedOnly(options));
  const { header, ttlMs, maxSessions } = affinity.options;
  if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH || !HEADER_NAME.test(header))
    throw new ConfigurationError(`affinity.header: expected an HTTP header name, got ${JSON.stringify(header)}`);
  if (!Number.isInteger(ttlMs) || ttlMs < 1)
    throw new ConfigurationError(`affinity.ttlMs: expected an integer ≥ 1, got ${JSON.stringify(ttlMs)}`);
  if (!Number.isInteger(maxSessions) || maxSessions < 1)
    throw new ConfigurationError(`affinity.maxSessions: expected an integer ≥ 1, got ${JSON.stringify(maxSessions)}`);
  return affinity;
}

function createRetryBudget(options: NonNullable<RouterOptions['retryBudget']>): RetryBudget {
  const budget = new RetryBudget(definedOnly(options));
  for (const [key, value] of [
    ['ratio', budget.ratio],
    ['minPerSecond', budget.minPerSecond],
  ] as const)
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new ConfigurationError(`retryBudget.${key}: expected a number ≥ 0, got ${JSON.stringify(value)}`);
  return budget;
}

function definedOnly<Value extends object>(value: Value): Partial<Value> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<Value>;
}
