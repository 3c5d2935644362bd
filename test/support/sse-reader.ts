/**
 * Reads Server-Sent Events from a fetch response body for tests: `next(predicate)` waits for
 * the next event (or comment) matching it, with a timeout, keeping the rest for later calls.
 */

/** One parsed SSE block: an event with data, or a comment. */
export interface SseMessage {
  /** `event:` field, `message` when absent; `comment` for a comment-only block. */
  event: string;
  /** `data:` lines joined; '' for comments. */
  data: string;
  /** Comment text, for comment-only blocks. */
  comment?: string;
}

/** A reader over one SSE response. */
export interface SseReader {
  /** Resolves with the next message matching `predicate`; rejects after `timeoutMs` (default 5000). */
  next(predicate?: (message: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** Resolves when the body ended cleanly (true) or failed (false). */
  readonly ended: Promise<boolean>;
  /** Every message read so far. */
  readonly messages: SseMessage[];
  cancel(): Promise<void>;
}

/** Parses one block (the text between blank lines). */
export function parseSseBlock(block: string): SseMessage | undefined {
  let event = 'message';
  const data: string[] = [];
  const comments: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(':')) {
      comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length > 0) return { event, data: data.join('\n') };
  if (comments.length > 0) return { event: 'comment', data: '', comment: comments.join('\n') };
  return undefined;
}

/**
 * Starts reading `response.body` as SSE.
 *
 * @example
 * ```ts
 * const events = readSse(await fetch(url, { headers }));
 * const change = await events.next((message) => message.event === 'circuitStateChange');
 * ```
 */
export function readSse(response: Response): SseReader {
  const messages: SseMessage[] = [];
  let consumed = 0;
  const waiters = new Set<() => void>();
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let finished = false;
  const ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return true;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = parseSseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (message !== undefined) messages.push(message);
        }
        for (const wake of [...waiters]) wake();
      }
    } catch {
      return false;
    } finally {
      finished = true;
      for (const wake of [...waiters]) wake();
    }
  })();
  return {
    messages,
    ended,
    next(predicate = () => true, timeoutMs = 5_000) {
      return new Promise<SseMessage>((resolve, reject) => {
        const check = () => {
          while (consumed < messages.length) {
            const message = messages[consumed]!;
            consumed += 1;
            if (predicate(message)) {
              cleanup();
              resolve(message);
              return;
            }
          }
          if (finished) {
            cleanup();
            reject(new Error('the event stream ended before a matching event'));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching event within ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async cancel() {
      await reader.cancel().catch(() => undefined);
    },
  };
}
