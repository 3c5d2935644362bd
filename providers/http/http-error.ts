/**
 * Turning an upstream's non-2xx answer into a `ProviderError`: a bounded read of the body,
 * the upstream's own message when the body is JSON (OpenAI's `{ error: { message } }` or
 * Anthropic's `{ type: 'error', error: { type, message } }`), a short clean text otherwise
 * (an HTML 500 page becomes its title or its stripped text, truncated), the cool-down from
 * the headers, and secrets (the API key) scrubbed from anything that leaves the adapter.
 */
import { exceedsJsonDepth } from '../../src/contract/json-depth.ts';
import type { OpenAIErrorBody } from '../../src/contract/openai-error-body.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';
import { errorClassOf } from './error-class.ts';
import { SecretScrubber } from '../../src/contract/secret-scrubber.ts';
import { retryAfterMsFromHeaders, type ResponseHeaders } from './retry-after.ts';

/** Error bodies longer than this are not read further. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Error bodies nested deeper than this are summarised as text, not parsed. */
export const MAX_ERROR_BODY_DEPTH = 32;
/** Messages are cut to this many characters. */
export const MAX_ERROR_MESSAGE_LENGTH = 300;

/** What `createHttpProviderError` needs to know about the failed response. */
export interface HttpErrorInput {
  provider: string;
  status: number;
  headers: ResponseHeaders;
  /** The (bounded) body text; may be empty. */
  bodyText: string;
  /** Strings that must never appear in messages or bodies (API keys); used when no `scrubber` is given. */
  secrets?: readonly string[];
  /** The provider's scrubber (its keys and credential patterns); wins over `secrets`. */
  scrubber?: SecretScrubber;
}

const HTML_TITLE = /<title[^>]*>([\s\S]*?)<\/title>/i;
const HTML_NOISE = /<(script|style)[^>]*>[\s\S]*?<\/\1>/gi;
const HTML_TAG = /<[^>]+>/g;
const WHITESPACE = /\s+/g;

/**
 * Builds the `ProviderError` (kind `http`) for a non-2xx upstream response.
 *
 * @example
 * ```ts
 * throw createHttpProviderError({ provider: 'primary', status: 429, headers, bodyText, secrets: [apiKey] });
 * ```
 */
export function createHttpProviderError(input: HttpErrorInput): ProviderError {
  const { provider, status, headers } = input;
  const scrubber = input.scrubber ?? new SecretScrubber(input.secrets);
  const bodyText = scrubber.scrub(input.bodyText);
  const body = errorBodyFromText(bodyText, status);
  const upstreamCode = body.error.code ?? body.error.type;
  const code = upstreamCode === null || upstreamCode === undefined ? undefined : String(upstreamCode);
  return new ProviderError(`${provider}: upstream answered ${status}: ${body.error.message}`, {
    kind: 'http',
    provider,
    status,
    code,
    retryAfterMs: retryAfterMsFromHeaders(headers),
    body,
    errorClass: errorClassOf(status, body),
  });
}

/**
 * Normalizes an upstream error body into OpenAI's `{ error: { message, type, param, code } }`
 * shape. JSON bodies keep every field the upstream sent; anything else becomes a short
 * clean message.
 *
 * @example
 * ```ts
 * errorBodyFromText('<html><title>502 Bad Gateway</title></html>', 502).error.message; // '502 Bad Gateway'
 * ```
 */
export function errorBodyFromText(bodyText: string, status: number): OpenAIErrorBody {
  const trimmed = bodyText.trim();
  // Too deep to be re-encoded on its way to the client: summarised as text like any non-JSON body.
  if (trimmed.startsWith('{') && !exceedsJsonDepth(trimmed, MAX_ERROR_BODY_DEPTH)) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      const shaped = shapeJsonError(parsed, status);
      if (shaped !== undefined) return shaped;
    } catch {
      // Not JSON after all: summarized as text below.
    }
  }
  return {
    error: { message: summarizeText(trimmed, status), type: errorTypeForStatus(status), param: null, code: null },
  };
}

/** Cuts a message to `MAX_ERROR_MESSAGE_LENGTH` characters, marking the cut with `…`. */
export function truncateMessage(message: string): string {
  return message.length > MAX_ERROR_MESSAGE_LENGTH ? message.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1) + '…' : message;
}

function shapeJsonError(parsed: unknown, status: number): OpenAIErrorBody | undefined {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  const inner = record.error;
  if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
    // OpenAI `{ error: { message, type, param, code } }` and Anthropic `{ type: 'error', error: { type, message } }`.
    const error = inner as Record<string, unknown>;
    return {
      ...record,
      error: {
        ...error,
        message: truncateMessage(messageOf(error.message, status)),
        type: typeof error.type === 'string' ? error.type : errorTypeForStatus(status),
        param: typeof error.param === 'string' ? error.param : null,
        code: typeof error.code === 'string' || typeof error.code === 'number' ? error.code : null,
      },
    };
  }
  // Other shapes: `{ error: 'text' }`, `{ message: 'text' }`, `{ detail: 'text' }`.
  const text = typeof inner === 'string' ? inner : (record.message ?? record.detail);
  return {
    error: {
      message: truncateMessage(messageOf(text, status)),
      type: errorTypeForStatus(status),
      param: null,
      code: null,
    },
  };
}

function messageOf(value: unknown, status: number): string {
  if (typeof value === 'string' && value.trim().length > 0) return value.trim();
  if (value !== undefined && value !== null && typeof value !== 'object') return String(value);
  return `HTTP ${status}`;
}

function summarizeText(text: string, status: number): string {
  if (text.length === 0) return `HTTP ${status}`;
  if (text.startsWith('<')) {
    const title = HTML_TITLE.exec(text)?.[1]?.replace(WHITESPACE, ' ').trim();
    if (title !== undefined && title.length > 0) return truncateMessage(title);
    const stripped = text.replace(HTML_NOISE, ' ').replace(HTML_TAG, ' ').replace(WHITESPACE, ' ').trim();
    return truncateMessage(stripped.length > 0 ? stripped : `HTTP ${status}`);
  }
  return truncateMessage(text.replace(WHITESPACE, ' '));
}

function errorTypeForStatus(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}
