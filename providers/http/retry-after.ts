/**
 * Cool-down hints of upstream responses: `retry-after-ms`, `retry-after` (seconds or an
 * HTTP date) and OpenAI's `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens`
 * (Go-style durations such as `1s`, `6m0s`, `20ms`, `1h2m3.5s`).
 */

/** Response headers as undici and `node:http` expose them (lower-case names). */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const DURATION_WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * Parses a Go-style duration (`1s`, `6m0s`, `20ms`, `1h2m3.5s`, also a bare number of
 * seconds) into milliseconds; undefined when it is not one.
 *
 * @example
 * ```ts
 * parseDurationMs('6m0s'); // 360000
 * parseDurationMs('20ms'); // 20
 * ```
 */
export function parseDurationMs(text: string): number | undefined {
  const value = text.trim();
  if (value.length === 0) return undefined;
  if (NUMBER.test(value)) return Math.ceil(Number(value) * 1000);
  if (!DURATION_WHOLE.test(value)) return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  for (let match = DURATION_PART.exec(value); match !== null; match = DURATION_PART.exec(value)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return Math.ceil(total);
}

/**
 * Parses a `retry-after` value: delay-seconds or an HTTP date (relative to `now`).
 * A date in the past gives 0; garbage gives undefined.
 *
 * @example
 * ```ts
 * parseRetryAfterHeaderMs('2'); // 2000
 * parseRetryAfterHeaderMs('Wed, 21 Oct 2026 07:28:00 GMT', Date.now());
 * ```
 */
export function parseRetryAfterHeaderMs(value: string, now: number = Date.now()): number | undefined {
  const text = value.trim();
  if (text.length === 0) return undefined;
  if (NUMBER.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The cool-down an error response asks for, in ms, or undefined when it names none.
 * Order: `retry-after-ms`, then `retry-after`, then OpenAI's rate-limit reset headers —
 * of those, the reset of the limit that is exhausted (`x-ratelimit-remaining-*: 0`),
 * else the sooner of the two.
 *
 * @example
 * ```ts
 * retryAfterMsFromHeaders({ 'retry-after': '3' }); // 3000
 * retryAfterMsFromHeaders({ 'x-ratelimit-reset-tokens': '1m0s' }); // 60000
 * ```
 */
export function retryAfterMsFromHeaders(headers: ResponseHeaders, now: number = Date.now()): number | undefined {
  const retryAfterMsValue = firstHeader(headers['retry-after-ms']);
  if (retryAfterMsValue !== undefined && NUMBER.test(retryAfterMsValue.trim())) {
    return Math.ceil(Number(retryAfterMsValue.trim()));
  }
  const retryAfter = firstHeader(headers['retry-after']);
  if (retryAfter !== undefined) {
    const parsed = parseRetryAfterHeaderMs(retryAfter, now);
    if (parsed !== undefined) return parsed;
  }
  const requestsReset = parseOptionalDuration(headers['x-ratelimit-reset-requests']);
  const tokensReset = parseOptionalDuration(headers['x-ratelimit-reset-tokens']);
  if (requestsReset === undefined) return tokensReset;
  if (tokensReset === undefined) return requestsReset;
  const requestsExhausted = firstHeader(headers['x-ratelimit-remaining-requests'])?.trim() === '0';
  const tokensExhausted = firstHeader(headers['x-ratelimit-remaining-tokens'])?.trim() === '0';
  if (requestsExhausted && tokensExhausted) return Math.max(requestsReset, tokensReset);
  if (requestsExhausted) return requestsReset;
  if (tokensExhausted) return tokensReset;
  return Math.min(requestsReset, tokensReset);
}

function parseOptionalDuration(value: string | string[] | undefined): number | undefined {
  const text = firstHeader(value);
  return text === undefined ? undefined : parseDurationMs(text);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
