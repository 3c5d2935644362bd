/**
 * Response headers of every Server-Sent Events answer (chat, Messages and Responses streams, the
 * admin event stream). Frozen on purpose: a copy with more headers, `{ ...SSE_HEADERS, name }`,
 * stays cheap on Node 20 only when its source is frozen (docs/performance.md).
 */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
});
