import { describe, expect, it } from 'vitest';
import { createHttpProviderError, errorBodyFromText, MAX_ERROR_MESSAGE_LENGTH } from './http-error.ts';

describe('errorBodyFromText', () => {
  it('keeps an OpenAI error body', () => {
    const body = { error: { message: 'bad', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } };
    expect(errorBodyFromText(JSON.stringify(body), 404)).toEqual(body);
  });

  it('reshapes an Anthropic error body', () => {
    expect(
      errorBodyFromText('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 529).error,
    ).toEqual({
      type: 'overloaded_error',
      message: 'Overloaded',
      param: null,
      code: null,
    });
  });

  it('summarizes HTML by its title, or its text, truncated', () => {
    expect(
      errorBodyFromText('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>', 502).error
        .message,
    ).toBe('502 Bad Gateway');
    const long = errorBodyFromText(
      `<html><body><script>var x = 1;</script><h1>Oops</h1>${'<p>detail</p>'.repeat(500)}</body></html>`,
      500,
    ).error.message;
    expect(long.startsWith('Oops detail')).toBe(true);
    expect(long.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
    expect(long).not.toContain('var x');
  });

  it('handles empty, plain-text and odd JSON bodies', () => {
    expect(errorBodyFromText('', 503).error).toMatchObject({ message: 'HTTP 503', type: 'api_error' });
    expect(errorBodyFromText('upstream connect error', 503).error.message).toBe('upstream connect error');
    expect(errorBodyFromText('{"detail":"Not Found"}', 404).error).toMatchObject({
      message: 'Not Found',
      type: 'not_found_error',
    });
    expect(errorBodyFromText('{"error":"quota exceeded"}', 429).error).toMatchObject({
      message: 'quota exceeded',
      type: 'rate_limit_error',
    });
    expect(errorBodyFromText('{broken', 500).error.message).toBe('{broken');
  });
});

describe('createHttpProviderError', () => {
  it('scrubs secrets and reads the cool-down', () => {
    const error = createHttpProviderError({
      provider: 'primary',
      status: 429,
      headers: { 'retry-after': '2' },
      bodyText:
        '{"error":{"message":"key sk-secret-123 is rate limited","type":"requests","code":"rate_limit_exceeded"}}',
      secrets: ['sk-secret-123'],
    });
    expect(error.message).toBe('primary: upstream answered 429: key *** is rate limited');
    expect(error).toMatchObject({
      kind: 'http',
      status: 429,
      code: 'rate_limit_exceeded',
      retryAfterMs: 2000,
      isRetryable: true,
      isProviderFault: false,
    });
  });
});
