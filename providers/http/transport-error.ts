/**
 * Classifying failures below HTTP (undici and socket errors) into `ProviderError` kinds:
 * refused, reset, DNS and sockets closed mid-body are `connection`; undici's own header and
 * body timeouts are `timeout`. Aborts are decided by the caller, who knows whether it was its
 * timer or the client's signal (see `upstream-call.ts`).
 */
import { ProviderError } from '../../src/contract/provider-error.ts';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/**
 * Wraps a transport failure as a `ProviderError` of kind `connection` or `timeout`.
 * An existing `ProviderError` is returned unchanged.
 *
 * @example
 * ```ts
 * try { await sendRequest() } catch (error) { throw transportProviderError(error, 'primary') }
 * ```
 */
export function transportProviderError(error: unknown, provider: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const code = errorCode(error);
  const kind = code !== undefined && TIMEOUT_CODES.has(code) ? 'timeout' : 'connection';
  const detail = error instanceof Error ? error.message : String(error);
  const suffix = code !== undefined && !detail.includes(code) ? ` (${code})` : '';
  return new ProviderError(
    `${provider}: ${kind === 'timeout' ? 'upstream timed out' : 'upstream connection failed'}: ${detail}${suffix}`,
    {
      kind,
      provider,
      code,
      cause: error,
    },
  );
}

/** The `code` of a Node or undici error, looking through one level of `cause` (DNS, refused). */
export function errorCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const record = error as { code?: unknown; cause?: unknown };
  if (typeof record.code === 'string' && record.code !== 'UND_ERR_SOCKET' && record.code !== 'UND_ERR')
    return record.code;
  const inner = errorCode(record.cause);
  if (inner !== undefined) return inner;
  return typeof record.code === 'string' ? record.code : undefined;
}
