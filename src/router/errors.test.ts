import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../contract/configuration-error.ts';
import { ProviderError } from '../contract/provider-error.ts';
import { SwitchboardError } from '../contract/switchboard-error.ts';
import { ModelNotFoundError, NoProviderAvailableError, RoutingFailedError } from './errors.ts';

/** Loads the error modules again as a fresh module graph: what a second copy of the package gives. */
async function secondCopy() {
  vi.resetModules();
  const router = await import('./errors.ts');
  const provider = await import('../contract/provider-error.ts');
  return { ...router, ProviderError: provider.ProviderError };
}

describe('the error root', () => {
  it('gives every SDK error a stable string code under one root', () => {
    const upstream = new ProviderError('boom', { kind: 'http', provider: 'p', status: 500 });
    const errors = [
      new ModelNotFoundError('m'),
      new NoProviderAvailableError('m', { p: 'circuit_open' }),
      new RoutingFailedError('m', 2, upstream),
      new ConfigurationError('bad'),
    ];
    expect(errors.map((error) => error.code)).toEqual([
      'model_not_found',
      'no_provider_available',
      'routing_failed',
      'configuration',
    ]);
    for (const error of errors) expect(error).toBeInstanceOf(SwitchboardError);
  });

  it('keeps "never" apart from "try later": a missing model is not a NoProviderAvailableError', () => {
    const missing = new ModelNotFoundError('gpt-5');
    expect(missing).not.toBeInstanceOf(NoProviderAvailableError);
    expect(NoProviderAvailableError.isInstance(missing)).toBe(false);
    expect(ModelNotFoundError.isInstance(missing)).toBe(true);
    expect(missing.model).toBe('gpt-5');
  });

  it('recognises errors made by another copy of the package, where instanceof fails', async () => {
    const other = await secondCopy();
    expect(other.ModelNotFoundError).not.toBe(ModelNotFoundError);
    const foreign = new other.ModelNotFoundError('m');
    expect(foreign).not.toBeInstanceOf(ModelNotFoundError);
    expect(ModelNotFoundError.isInstance(foreign)).toBe(true);
    expect(SwitchboardError.isInstance(foreign)).toBe(true);
    expect(NoProviderAvailableError.isInstance(foreign)).toBe(false);
    expect(ConfigurationError.isInstance(new other.ConfigurationError('x'))).toBe(true);
    expect(ConfigurationError.isInstance(foreign)).toBe(false);
    const foreignProvider = new other.ProviderError('x', { kind: 'timeout', provider: 'p' });
    expect(foreignProvider).not.toBeInstanceOf(ProviderError);
    expect(ProviderError.isInstance(foreignProvider)).toBe(true);
    expect(ProviderError.isInstance(foreign)).toBe(false);
    for (const value of [null, undefined, 'model_not_found', { code: 'model_not_found' }, new Error('x')])
      expect(SwitchboardError.isInstance(value)).toBe(false);
  });
});

describe('ProviderError', () => {
  it('takes an explicit retryable over the one derived from kind and status', () => {
    const derived = new ProviderError('503', { kind: 'http', provider: 'p', status: 503 });
    expect(derived.isRetryable).toBe(true);
    const notRetryable = new ProviderError('503, but the body says never', {
      kind: 'http',
      provider: 'p',
      status: 503,
      retryable: false,
    });
    expect(notRetryable.isRetryable).toBe(false);
    expect(notRetryable.isProviderFault).toBe(false);
    const retryable = new ProviderError('400 the adapter knows is transient', {
      kind: 'http',
      provider: 'p',
      status: 400,
      retryable: true,
    });
    expect(retryable.isRetryable).toBe(true);
  });
});
