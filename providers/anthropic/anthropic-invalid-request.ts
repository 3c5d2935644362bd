import { ProviderError } from '../../src/contract/provider-error.ts';

/**
 * A 400 `ProviderError` for a request that cannot be translated: found before anything is sent
 * (`local`), not retryable (another Anthropic provider would refuse it too) and not the provider's fault.
 */
export function invalidRequest(provider: string, message: string): ProviderError {
  return new ProviderError(`${provider}: ${message}`, {
    kind: 'local',
    provider,
    status: 400,
    code: 'invalid_request_error',
    body: { error: { message, type: 'invalid_request_error', param: null, code: null } },
  });
}
