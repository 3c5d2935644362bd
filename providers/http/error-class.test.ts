import { describe, expect, it } from 'vitest';
import { errorClassOf } from './error-class.ts';
import { createHttpProviderError, errorBodyFromText } from './http-error.ts';

const body = (text: string, status: number) => errorBodyFromText(text, status);

describe('errorClassOf', () => {
  it("reads OpenAI's context_length_exceeded and Anthropic's 'prompt is too long'", () => {
    expect(
      errorClassOf(
        400,
        body(
          '{"error":{"message":"This model\'s maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}',
          400,
        ),
      ),
    ).toBe('context_length_exceeded');
    expect(
      errorClassOf(
        400,
        body(
          '{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}',
          400,
        ),
      ),
    ).toBe('context_length_exceeded');
  });

  it('reads content policy codes, Azure inner codes included', () => {
    expect(
      errorClassOf(
        400,
        body('{"error":{"message":"no","type":"invalid_request_error","code":"content_policy_violation"}}', 400),
      ),
    ).toBe('content_policy');
    expect(
      errorClassOf(
        400,
        body(
          '{"error":{"message":"filtered","code":"content_filter","innererror":{"code":"ResponsibleAIPolicyViolation"}}}',
          400,
        ),
      ),
    ).toBe('content_policy');
  });

  it('leaves other errors unclassified, 5xx and 429 with such words included', () => {
    expect(
      errorClassOf(400, body('{"error":{"message":"Invalid temperature","type":"invalid_request_error"}}', 400)),
    ).toBe(undefined);
    expect(errorClassOf(500, body('{"error":{"message":"prompt is too long"}}', 500))).toBe(undefined);
    expect(errorClassOf(429, body('{"error":{"message":"x","code":"content_filter"}}', 429))).toBe(undefined);
  });

  it('is set on the ProviderError an HTTP failure becomes', () => {
    const error = createHttpProviderError({
      provider: 'p',
      status: 400,
      headers: {},
      bodyText: '{"error":{"message":"too long","type":"invalid_request_error","code":"context_length_exceeded"}}',
    });
    expect(error).toMatchObject({ errorClass: 'context_length_exceeded', isRetryable: false, isProviderFault: false });
  });
});
