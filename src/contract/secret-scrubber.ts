/**
 * The one secret scrubber: every text that comes from an upstream (HTTP error bodies, in-stream
 * error events, messages that reach a log line or the admin API) passes through it before it
 * leaves the process. It removes the configured secrets (upstream API keys, header values) and
 * anything shaped like a credential: `Bearer …`, `sk-…` keys, `x-api-key: …`.
 */

import type { ProviderError } from './provider-error.ts';

/** What a removed secret is replaced with. */
export const REDACTED = '***';

/** Configured secrets shorter than this are not scrubbed as plain text (they would match ordinary words). */
export const MIN_SECRET_LENGTH = 4;

/**
 * Credential shapes, whatever their origin: a bearer token, an OpenAI/Anthropic-style `sk-` key,
 * and the value of an `x-api-key` / `api-key` header or field (quoted or not).
 */
const CREDENTIAL_PATTERN =
  /(\bBearer\s+)[A-Za-z0-9._~+/=-]{6,}|\bsk-[A-Za-z0-9_-]{6,}|(\b(?:x-)?api[-_]key\b["']?\s*[:=]\s*["']?)[^\s"',;}]{4,}/gi;

/**
 * Scrubs secrets from text and JSON values. Secrets can be added later (a provider added at run
 * time); scrubbing a text with nothing to scrub costs a regular-expression test and one
 * `includes` per secret.
 *
 * @example
 * ```ts
 * const scrubber = new SecretScrubber(['sk-live-123456']);
 * scrubber.scrub('bad key sk-live-123456, header Authorization: Bearer abcdefgh'); // 'bad key ***, header Authorization: Bearer ***'
 * ```
 */
export class SecretScrubber {
  readonly #secrets = new Set<string>();
  /** Longest first, so a secret containing another is removed whole. */
  #ordered: string[] = [];

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const secret of secrets) this.add(secret);
  }

  /** Adds a configured secret (ignored when empty or shorter than `MIN_SECRET_LENGTH`). */
  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    this.#ordered = [...this.#secrets].sort((left, right) => right.length - left.length);
  }

  /** `text` with every configured secret and credential-shaped substring replaced by `***`. */
  scrub(text: string): string {
    let result = text;
    for (const secret of this.#ordered) {
      if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    }
    CREDENTIAL_PATTERN.lastIndex = 0;
    if (!CREDENTIAL_PATTERN.test(result)) return result;
    return result.replace(CREDENTIAL_PATTERN, (_match, bearer: string | undefined, keyName: string | undefined) =>
      bearer !== undefined ? `${bearer}${REDACTED}` : keyName !== undefined ? `${keyName}${REDACTED}` : REDACTED,
    );
  }

  /**
   * A JSON-compatible value with every string (keys included) scrubbed: the value itself when
   * nothing needed scrubbing, else a scrubbed copy. A value that cannot be serialised (too deep,
   * a cycle) becomes `null`, and one whose scrubbed text no longer parses becomes that text: nothing
   * unscrubbed is ever returned.
   */
  scrubValue(value: unknown): unknown {
    if (value === undefined || value === null) return value;
    if (typeof value === 'string') return this.scrub(value);
    if (typeof value !== 'object') return value;
    let text: string;
    try {
      text = JSON.stringify(value);
    } catch {
      return null;
    }
    const scrubbed = this.scrub(text);
    if (scrubbed === text) return value;
    try {
      return JSON.parse(scrubbed) as unknown;
    } catch {
      return scrubbed;
    }
  }
}

/**
 * Scrubs a `ProviderError`'s upstream text in place (its message, code and body) and returns it;
 * in place so that every other field, whatever adds it, is kept.
 *
 * @example
 * ```ts
 * throw scrubProviderError(error, scrubber);
 * ```
 */
export function scrubProviderError(error: ProviderError, scrubber: SecretScrubber): ProviderError {
  error.message = scrubber.scrub(error.message);
  if (typeof error.stack === 'string') error.stack = scrubber.scrub(error.stack);
  const writable = error as { -readonly [Field in 'code' | 'body']: ProviderError[Field] };
  if (error.code !== undefined) writable.code = scrubber.scrub(error.code);
  if (error.body !== undefined) writable.body = scrubber.scrubValue(error.body);
  return error;
}

/** A scrubber with no configured secrets: credential shapes only. */
export const PATTERN_SCRUBBER: SecretScrubber = new SecretScrubber();
