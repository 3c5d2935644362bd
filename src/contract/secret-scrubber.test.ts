import { describe, expect, it } from 'vitest';
import { ProviderError } from './provider-error.ts';
import { scrubProviderError, SecretScrubber } from './secret-scrubber.ts';

describe('SecretScrubber', () => {
  const scrubber = new SecretScrubber(['my-configured-key', 'abc', undefined]);

  it('removes configured keys and credential shapes, and leaves other text alone', () => {
    expect(scrubber.scrub('key my-configured-key rejected')).toBe('key *** rejected');
    expect(scrubber.scrub('Authorization: Bearer eyJhbGciOi.x_y-z')).toBe('Authorization: Bearer ***');
    expect(scrubber.scrub('invalid sk-proj-AbC123_xyz-789 given')).toBe('invalid *** given');
    expect(scrubber.scrub('{"x-api-key":"k-1234567","api_key": "q9q9q9q9"}')).toBe(
      '{"x-api-key":"***","api_key": "***"}',
    );
    expect(scrubber.scrub('header x-api-key: s3cr3tvalue, next')).toBe('header x-api-key: ***, next');
    // Short configured values would match ordinary words: only patterns apply to them.
    expect(scrubber.scrub('abc is fine; the model is overloaded')).toBe('abc is fine; the model is overloaded');
  });

  it('scrubs JSON values (keys and strings) and returns the same value when clean', () => {
    const clean = { error: { message: 'overloaded' } };
    expect(scrubber.scrubValue(clean)).toBe(clean);
    expect(scrubber.scrubValue({ error: { message: 'bad my-configured-key' } })).toEqual({
      error: { message: 'bad ***' },
    });
    let deep: unknown = 'x';
    for (let index = 0; index < 20_000; index += 1) deep = [deep];
    expect(scrubber.scrubValue(deep)).toBeNull();
  });

  it('scrubs a ProviderError in place, keeping its kind and retryability', () => {
    const error = new ProviderError('p: upstream answered 503: key my-configured-key', {
      kind: 'http',
      provider: 'p',
      status: 503,
      code: 'sk-aaaaaaaaaaaa',
      body: { error: { message: 'key my-configured-key' } },
    });
    expect(scrubProviderError(error, scrubber)).toBe(error);
    expect(error.message).toBe('p: upstream answered 503: key ***');
    expect(error.stack).not.toContain('my-configured-key');
    expect(error.code).toBe('***');
    expect(error.body).toEqual({ error: { message: 'key ***' } });
    expect(error.isRetryable).toBe(true);
  });
});
