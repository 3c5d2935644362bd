const DISALLOWED_REQUEST_ID_CHARACTERS = /[^A-Za-z0-9_-]/g;

/** Longest request id kept from a client. */
export const MAX_REQUEST_ID_LENGTH = 128;

/**
 * Keeps only `[A-Za-z0-9_-]` of a client's request id and cuts it to 128 characters;
 * returns undefined when nothing usable is left.
 *
 * @example
 * ```ts
 * sanitizeRequestId('req-123\nbad\tid!@#'); // 'req-123badid'
 * ```
 */
export function sanitizeRequestId(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const cleaned = value.replace(DISALLOWED_REQUEST_ID_CHARACTERS, '').slice(0, MAX_REQUEST_ID_LENGTH);
  return cleaned === '' ? undefined : cleaned;
}
