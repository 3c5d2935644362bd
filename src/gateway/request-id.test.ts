import { describe, expect, it } from 'vitest';
import { sanitizeRequestId } from './request-id.ts';

describe('sanitizeRequestId', () => {
  it('keeps [A-Za-z0-9_-], at most 128 characters', () => {
    expect(sanitizeRequestId('req-123\nbad\tid!@#')).toBe('req-123badid');
    expect(sanitizeRequestId('custom-req-id')).toBe('custom-req-id');
    expect(sanitizeRequestId('x'.repeat(200))).toHaveLength(128);
    expect(sanitizeRequestId('!@#')).toBeUndefined();
    expect(sanitizeRequestId(undefined)).toBeUndefined();
  });
});
