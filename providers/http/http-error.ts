/**
 * Turning an upstream's non-2xx answer into a `ProviderError`: a bounded read of the body,
 * the upstream's own message when the body is JSON (OpenAI's `{ error: { message } }` or
 * Anthropic's `{ type: 'error', error: { type, message } }`), a short clean text otherwise
 * (an HTML 500 page becomes its title or its stripped text, truncated), the cool-down from
 * the headers, and secrets (the API key) scrubbed from anything that leaves the adapter.
 */
import { ProviderError } from '../../src/contract/provider-error.ts';
import { errorClassOf } from './error-class.ts';
import { retryAfterMsFromHeaders, type ResponseHeaders } from './retry-after.ts';

/** Error bodies longer than this are not read further. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Messages are cut to this many characters. */
export const MAX_ERROR_MESSAGE_LENGTH = 300;

/** What `createHttpProviderError` needs to know about the failed response. */
export interface HttpErrorInput {
  provider: string;
  status: number;
  headers: ResponseHeaders;
  /** The (bounded) body text; may be empty. */
  bodyText: string;
  /** Strings that must never appear in messages or bodies (API keys). */
  secrets?: readonly string[];
}

/** The upstream error, in OpenAI's error shape. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | number | null; [key: string]: unknown };
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
  const { provider, status, headers, secrets } = input;
  const bodyText = scrubSecrets(input.bodyText, secrets);
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
  if (trimmed.startsWith('{')) {
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

/** Replaces every occurrence of each secret with `***`. */
export function scrubSecrets(text: string, secrets: readonly string[] | undefined): string {
  if (secrets === undefined) return text;
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && result.includes(secret)) result = result.split(secret).join('***');
  }
  return result;
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
