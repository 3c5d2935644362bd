import type { ProviderError } from '../contract/provider-error.ts';
import { SwitchboardError } from '../contract/switchboard-error.ts';

export { SwitchboardError, type SwitchboardErrorCode } from '../contract/switchboard-error.ts';
export { ConfigurationError, type ConfigIssue } from '../contract/configuration-error.ts';

/** The root of every error the router throws: the same class as `SwitchboardError` (its older name). */
export const RouterError = SwitchboardError;
/** The root of every error the router throws: the same class as `SwitchboardError` (its older name). */
export type RouterError = SwitchboardError;

/** Why one registered provider was not a candidate for a request. */
export type SkipReason =
  'disabled' | 'unavailable' | 'circuit_open' | 'half_open_probes_busy' | 'cooling_down' | 'excluded';

/**
 * Providers serve `model`, but none can take a request now ("try later"; HTTP 503, or 429 when
 * all cool down). `skipped` names each provider that serves the model and why it was passed over;
 * `retryAfterMs` is set when every one of them is in a 429 cool-down (the shortest remaining one).
 */
export class NoProviderAvailableError extends SwitchboardError {
  static override readonly brand: string = 'NoProviderAvailableError';
  override name = 'NoProviderAvailableError';
  readonly model: string;
  readonly skipped: Readonly<Record<string, SkipReason>>;
  readonly retryAfterMs: number | undefined;

  constructor(model: string, skipped: Record<string, SkipReason>, retryAfterMs?: number, message?: string) {
    super('no_provider_available', message ?? describeSkipped(model, skipped));
    this.model = model;
    this.skipped = skipped;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * No registered provider lists `model` at all ("never"; HTTP 404 `model_not_found` in the
 * gateway). Not a `NoProviderAvailableError`: retrying later will not help.
 */
export class ModelNotFoundError extends SwitchboardError {
  static override readonly brand: string = 'ModelNotFoundError';
  override name = 'ModelNotFoundError';
  readonly model: string;

  constructor(model: string) {
    super('model_not_found', `No provider is registered for model '${model}'`);
    this.model = model;
  }
}

/**
 * A routed call (`chatCompletion`, `chatCompletionStream`) failed on every provider it tried,
 * or on a non-retryable error. `lastError` is the error of the last attempt.
 */
export class RoutingFailedError extends SwitchboardError {
  static override readonly brand: string = 'RoutingFailedError';
  override name = 'RoutingFailedError';
  readonly model: string;
  readonly attempts: number;
  readonly lastError: ProviderError;

  constructor(model: string, attempts: number, lastError: ProviderError) {
    super('routing_failed', `Model '${model}' failed after ${attempts} attempt(s): ${lastError.message}`, {
      cause: lastError,
    });
    this.model = model;
    this.attempts = attempts;
    this.lastError = lastError;
  }
}

function describeSkipped(model: string, skipped: Record<string, SkipReason>): string {
  const entries = Object.entries(skipped);
  if (entries.length === 0) return `No provider available for model '${model}'`;
  const reasons = entries.map(([provider, reason]) => `${provider}: ${reason}`).join(', ');
  return `No provider available for model '${model}' (${reasons})`;
}
