import type { ProviderEntry } from './config-schema.ts';

const CREDENTIAL_HEADER = /auth|key|token|secret|cookie|password/i;

/**
 * The secrets of one provider entry, for the secret scrubber: its `apiKey` and the values of its
 * credential headers (`authorization`, `api-key`, `x-api-key`, …; a `Bearer ` prefix dropped).
 *
 * @example
 * ```ts
 * providerSecrets({ name: 'azure', type: 'openai', headers: { 'api-key': 'k-123456' } }); // ['k-123456']
 * ```
 */
export function providerSecrets(entry: Pick<ProviderEntry, 'apiKey'> & { headers?: unknown }): string[] {
  const secrets: string[] = [];
  if (typeof entry.apiKey === 'string' && entry.apiKey.length > 0) secrets.push(entry.apiKey);
  const headers = entry.headers;
  if (headers !== null && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
      if (typeof value !== 'string' || !CREDENTIAL_HEADER.test(name)) continue;
      secrets.push(value.replace(/^Bearer\s+/i, ''));
    }
  }
  return secrets;
}
