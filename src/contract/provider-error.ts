/** What kind of failure a `ProviderError` is; drives metrics labels and the gateway's status. */
export type ProviderErrorKind =
  | 'http' // the upstream answered with a non-2xx status
  | 'timeout' // no response, or a silent stream, within the per-attempt timeout
  | 'connection' // refused, reset, DNS failure, socket closed mid-body
  | 'protocol' // the upstream answered 2xx but the body was not what its API promises
  | 'aborted' // the caller's signal aborted the call
  | 'local'; // failed inside this process before any byte reached the upstream (encoding, translation, a bug)

/** Constructor options of `ProviderError`. */
export interface ProviderErrorOptions {
  kind: ProviderErrorKind;
  /** The provider's registered name. */
  provider: string;
  /**
   * Upstream HTTP status when there was one. For kind `local`, the status the request ends with instead:
   * 400 when the request itself cannot be sent (it cannot be encoded or translated), else 500.
   */
  status?: number;
  /** Upstream error type/code when the body named one (e.g. `rate_limit_error`). */
  code?: string;
  /** Cool-down the upstream asked for, from `retry-after` or `x-ratelimit-reset-*`. */
  retryAfterMs?: number;
  /** The upstream's error body, parsed when it was JSON, in OpenAI's `{ error: {...} }` shape when it can be. */
  body?: unknown;
  /**
   * Whether another attempt (a fallback provider, a retry) may succeed. Default: from `kind` and
   * `status` (408, 409, 425, 429, 5xx, 529, timeouts, connection and protocol failures).
   */
  retryable?: boolean;
  cause?: unknown;
}

/** The status a Switchboard gateway answers a request that looped back to it with. */
const LOOP_DETECTED_STATUS = 508;
/** Symbol under which a `ProviderError` is branded, so copies of the package recognise each other's. */
const PROVIDER_ERROR_BRAND = Symbol.for('switchboard.ProviderError');

const RETRYABLE_STATUSES = new Set([408, 409, 425, 429, 500, 502, 503, 504, 529]);

/**
 * The one error root of every adapter. Fallback logic reads only `isRetryable`;
 * `isProviderFault` says whether the failure counts against the provider's health
 * (a 400 for a malformed request does not, nor does a 429, which is a cool-down, nor a
 * `local` failure, which never reached the upstream).
 * Its `code` is the upstream's error code, so it is not a `SwitchboardError` (whose `code` is
 * the SDK's own); `ProviderError.isInstance` is its brand check across package copies.
 *
 * @example
 * ```ts
 * try { await adapter.chat(request) } catch (error) {
 *   if (error instanceof ProviderError && error.isRetryable) { ... try another provider ... }
 * }
 * ```
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly body: unknown;
  /** True for 408, 409, 425, 429, 5xx (but 508, a loop), 529, timeouts and connection errors, unless `retryable` said otherwise. */
  readonly isRetryable: boolean;
  /** True when the failure should count against the provider's health and circuit. */
  readonly isProviderFault: boolean;
  /** True when the call never left the process (kind `local`): no provider is to blame, no other would do better. */
  readonly isLocal: boolean;

  constructor(message: string, options: ProviderErrorOptions) {
    super(message, { cause: options.cause });
    this.kind = options.kind;
    this.provider = options.provider;
    this.status = options.status;
    this.code = options.code;
    this.retryAfterMs = options.retryAfterMs;
    this.body = options.body;
    this.isRetryable = options.retryable ?? isRetryableFailure(options.kind, options.status);
    this.isProviderFault = this.isRetryable && options.status !== 429 && options.kind !== 'aborted';
    this.isLocal = options.kind === 'local';
    Object.defineProperty(this, PROVIDER_ERROR_BRAND, { value: true, enumerable: false });
  }

  /** True for a `ProviderError`, also one made by a duplicate copy of the package. */
  static isInstance(value: unknown): value is ProviderError {
    return (
      value instanceof ProviderError ||
      (value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[PROVIDER_ERROR_BRAND] === true)
    );
  }
}

/**
 * Runs `work` (the part of an adapter call that happens before a byte is sent: serialising,
 * translating) and turns anything it throws into a `local` `ProviderError`: a request that
 * cannot be encoded or translated must end with its own error, never count against the
 * provider. A `ProviderError` thrown on purpose (e.g. a 400 for an untranslatable request)
 * passes through unchanged.
 *
 * @example
 * ```ts
 * const body = beforeUpstream(name, () => JSON.stringify(translate(request)));
 * ```
 */
export function beforeUpstream<Result>(provider: string, work: () => Result): Result {
  try {
    return work();
  } catch (error) {
    throw error instanceof ProviderError ? error : localProviderError(provider, error);
  }
}

/**
 * The `local` `ProviderError` for something that failed inside this process: status 400 when the
 * request could not be encoded (too deep for `JSON.stringify`, a string too long), else 500.
 */
export function localProviderError(provider: string, error: unknown): ProviderError {
  const encoding = error instanceof RangeError || error instanceof SyntaxError;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ProviderError(
    `${provider}: the request failed before reaching the upstream (${detail.length > 200 ? detail.slice(0, 199) + '…' : detail})`,
    { kind: 'local', provider, status: encoding ? 400 : 500, cause: error },
  );
}

function isRetryableFailure(kind: ProviderErrorKind, status: number | undefined): boolean {
  switch (kind) {
    case 'timeout':
    case 'connection':
    case 'protocol':
      return true;
    case 'aborted':
    case 'local':
      return false;
    case 'http':
      // 508: the upstream is this gateway (or a loop through it); another try loops again.
      return (
        status !== undefined && status !== LOOP_DETECTED_STATUS && (RETRYABLE_STATUSES.has(status) || status >= 500)
      );
  }
}
