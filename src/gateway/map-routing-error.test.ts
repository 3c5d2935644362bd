import { describe, expect, it } from 'vitest';
import { ProviderError } from '../contract/provider-error.ts';
import { ModelNotFoundError, NoProviderAvailableError, RoutingFailedError } from '../router/errors.ts';
import { mapRoutingError } from './map-routing-error.ts';

describe('mapRoutingError', () => {
  const http = (status: number, extra: Partial<ConstructorParameters<typeof ProviderError>[1]> = {}) =>
    new ProviderError(`status ${status}`, { kind: 'http', provider: 'p', status, ...extra });

  it('maps router errors per the design table', () => {
    expect(mapRoutingError(new ModelNotFoundError('m'))).toMatchObject({ status: 404, code: 'model_not_found' });
    expect(mapRoutingError(new NoProviderAvailableError('m', { p: 'circuit_open' }))).toMatchObject({ status: 503 });
    const coolingDown = mapRoutingError(new NoProviderAvailableError('m', { p: 'cooling_down' }, 2_500));
    expect(coolingDown).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
  });

  it('passes upstream client errors through with their body', () => {
    const upstreamBody = {
      error: { message: 'bad temperature', type: 'invalid_request_error', param: 'temperature', code: null },
    };
    for (const status of [400, 404, 413, 422]) {
      const mapped = mapRoutingError(new RoutingFailedError('m', 1, http(status, { body: upstreamBody })));
      expect(mapped.status).toBe(status);
      expect(mapped.toBody()).toEqual(upstreamBody);
    }
  });

  it('maps exhausted retryable failures to the last status, 502 or 504', () => {
    expect(mapRoutingError(new RoutingFailedError('m', 3, http(503))).status).toBe(503);
    expect(mapRoutingError(new RoutingFailedError('m', 3, http(429, { retryAfterMs: 1_000 })))).toMatchObject({
      status: 429,
      headers: { 'retry-after': '1' },
    });
    expect(
      mapRoutingError(new RoutingFailedError('m', 2, new ProviderError('x', { kind: 'connection', provider: 'p' })))
        .status,
    ).toBe(502);
    expect(
      mapRoutingError(new RoutingFailedError('m', 2, new ProviderError('x', { kind: 'protocol', provider: 'p' })))
        .status,
    ).toBe(502);
    expect(
      mapRoutingError(new RoutingFailedError('m', 2, new ProviderError('x', { kind: 'timeout', provider: 'p' })))
        .status,
    ).toBe(504);
    expect(mapRoutingError(new RoutingFailedError('m', 1, http(401))).status).toBe(502);
  });

  it('hides unexpected errors behind a 500', () => {
    const mapped = mapRoutingError(new TypeError('secret internals'));
    expect(mapped.status).toBe(500);
    expect(JSON.stringify(mapped.toBody())).not.toContain('secret');
  });
});
