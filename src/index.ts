/**
 * Switchboard's SDK: route chat completions across LLM providers in-process.
 *
 * @example
 * ```ts
 * import { Router } from 'switchboard';
 * const router = new Router({ strategy: 'round_robin' });
 * ```
 */
export { Router, type RegisteredModel, type SelectContext } from './router/router.ts';
export { linkRouterToFleet, type FleetLink, type FleetLinkOptions } from './router/fleet-link.ts';
export type { ProbePermitSource } from './router/fleet-probe-gate.ts';
export {
  RouterError,
  NoProviderAvailableError,
  ModelNotFoundError,
  RoutingFailedError,
  type SkipReason,
} from './router/errors.ts';
export {
  CIRCUIT_BREAKER_RANGES,
  DEFAULT_CIRCUIT_BREAKER_CONFIG,
  resolveCircuitConfig,
  type SettingRange,
} from './router/circuit-config.ts';
export { shouldOpen, type FailureSignal } from './router/breaker-policy.ts';
export { STRATEGY_NAMES } from './router/strategies/create-strategy.ts';
export type { RoutingCandidate, SelectionContext, SelectionStrategy } from './router/strategies/selection-strategy.ts';
export type { ProviderRecord } from './router/provider-record.ts';
export type { DeploymentLease } from './router/deployment-lease.ts';
export type { RoutingSettings } from './router/routing-settings.ts';
export type { ModelPrice, ProviderPricing, UsageTokens } from './router/pricing.ts';
export type * from './router/types.ts';
export * from './contract/index.ts';
