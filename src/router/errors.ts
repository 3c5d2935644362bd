import type { ProviderError } from '../contract/provider-error.ts';

/** Root of every error the router throws. */
export class RouterError extends Error {
  override name = 'RouterError';
}

/** A bad router setting: an unknown strategy, a threshold out of range. */
export class ConfigurationError extends RouterError {
  override name = 'ConfigurationError';
}

/** Why one registered provider was not a candidate for a request. */
export type SkipReason =
  'disabled' | 'unavailable' | 'circuit_open' | 'half_open_probes_busy' | 'cooling_down' | 'excluded';

/**
 * No provider can take a request for `model` now. `skipped` names each provider that serves
 * the model and why it was passed over; `retryAfterMs` is set when every one of them is in a
 * 429 cool-down (the shortest remaining one).
 */
export class NoProviderAvailableError extends RouterError {
  override name = 'NoProviderAvailableError';
  readonly model: string;
  readonly skipped: Readonly<Record<string, SkipReason>>;
  readonly retryAfterMs: number | undefined;

  constructor(model: string, skipped: Record<string, SkipReason>, retryAfterMs?: number, message?: string) {
    super(message ?? describeSkipped(model, skipped));
    this.model = model;
    this.skipped = skipped;
    this.retryAfterMs = retryAfterMs;
  }
}

/** No registered provider lists `model` at all (HTTP 404 `model_not_found` in the gateway). */
export class ModelNotFoundError extends NoProviderAvailableError {
  override name = 'ModelNotFoundError';

  constructor(model: string) {
    super(model, {}, undefined, `No provider is registered for model '${model}'`);
  }
}

/**
 * A routed call (`chatCompletion`, `chatCompletionStream`) failed on every provider it tried,
 * or on a non-retryable error. `lastError` is the error of the last attempt.
 */
export class RoutingFailedError extends RouterError {
  override name = 'RoutingFailedError';
  readonly model: string;
  readonly attempts: number;
  readonly lastError: ProviderError;

  constructor(model: string, attempts: number, lastError: ProviderError) {
    super(`Model '${model}' failed after ${attempts} attempt(s): ${lastError.message}`, { cause: lastError });
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
