import { StringDecoder } from 'node:string_decoder';

/**
 * An incremental Server-Sent Events parser for upstream streams (WHATWG `text/event-stream`).
 * Bytes go in as they arrive from the socket; complete events come out. It keeps only the
 * unfinished tail of the stream, never the whole stream, scans each character once however
 * the stream is cut (a line without a newline is kept as a list of pieces and joined once, when
 * it ends), and refuses an event longer than its cap.
 */

/** One dispatched SSE event: its `event:` name (empty when absent) and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Options of `SseParser`. */
export interface SseParserOptions {
  /**
   * The longest event accepted, in characters of decoded text (its unfinished line plus the `data:` lines
   * gathered so far); longer is an `SseEventTooLargeError`. UTF-8 is never shorter in bytes than in
   * characters, so no event over this many bytes of ASCII gets through. Default `DEFAULT_MAX_SSE_EVENT_LENGTH`.
   */
  maxEventLength?: number;
}

/** Default cap of one event: 1 MiB. */
export const DEFAULT_MAX_SSE_EVENT_LENGTH = 1024 * 1024;

/**
 * Thrown by `SseParser.push` when an event (or a line) grows past the cap: the stream cannot be
 * a well-behaved upstream's, and keeping it would hold unbounded memory.
 */
export class SseEventTooLargeError extends Error {
  override readonly name = 'SseEventTooLargeError';
  /** The cap that was passed, in characters. */
  readonly limit: number;

  constructor(limit: number) {
    super(`an SSE event is longer than ${limit} characters`);
    this.limit = limit;
  }
}

const LINE_FEED = 10;
const CARRIAGE_RETURN = 13;
const COLON = 58;
const SPACE = 32;
const BYTE_ORDER_MARK = 0xfeff;
/** `indexOf` result when the search already ran past a text without finding its target. */
const NOT_SEARCHED = -2;

/**
 * Incremental SSE parser. Handles `\n`, `\r\n` and lone `\r` line endings, multi-line
 * `data:` (joined with `\n`), comments (lines starting with `:`), events and lines split
 * anywhere across chunks, and UTF-8 characters split across chunk boundaries (bytes are
 * decoded with one `StringDecoder`, which keeps an incomplete character for the next chunk;
 * see docs/performance.md). A leading byte order mark
 * is dropped, as the SSE specification asks. Linear in the input: see docs/stream-layer.md.
 *
 * @example
 * ```ts
 * const parser = new SseParser({ maxEventLength: 1024 * 1024 });
 * for await (const bytes of body) {
 *   for (const event of parser.push(bytes)) console.log(event.event, event.data); // throws SseEventTooLargeError past the cap
 * }
 * parser.finish(); // true when the stream ended between events
 * ```
 */
export class SseParser {
  readonly #decoder = new StringDecoder('utf8');
  readonly #maxEventLength: number;
  #started = false;
  /** Pieces of the line received after the last complete line, in order (usually none or one). */
  #pending: string[] = [];
  #pendingLength = 0;
  /** A `\r` ended the previous chunk: a `\n` at the start of the next one belongs to it. */
  #skipLeadingLineFeed = false;
  #eventName = '';
  #data = '';
  #hasData = false;
  /** Position of the next `:` at or after the line being processed, in the text being scanned. */
  #colonAt = NOT_SEARCHED;
  /** Reused output array: valid until the next `push`. */
  readonly #events: SseEvent[] = [];

  constructor(options: SseParserOptions = {}) {
    this.#maxEventLength = options.maxEventLength ?? DEFAULT_MAX_SSE_EVENT_LENGTH;
  }

  /**
   * Feeds bytes (or already decoded text) and returns the events completed by them.
   * The returned array is reused by the next call: consume it before pushing again.
   *
   * @throws SseEventTooLargeError when an event grows past `maxEventLength` (the parser is then unusable).
   */
  push(chunk: Uint8Array | string): SseEvent[] {
    const events = this.#events;
    events.length = 0;
    let text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    if (text.length === 0) return events;
    if (!this.#started) {
      this.#started = true;
      if (text.charCodeAt(0) === BYTE_ORDER_MARK) text = text.slice(1);
    }
    if (this.#skipLeadingLineFeed) {
      this.#skipLeadingLineFeed = false;
      if (text.charCodeAt(0) === LINE_FEED) text = text.slice(1);
    }
    const length = text.length;
    let lineStart = 0;
    this.#colonAt = NOT_SEARCHED;
    if (text.indexOf('\r') === -1) {
      // Fast path (nearly every upstream): `\n` line endings, found with native indexOf.
      let end = text.indexOf('\n');
      if (end !== -1 && this.#pendingLength > 0) {
        this.#processJoinedLine(text, end);
        lineStart = end + 1;
        end = text.indexOf('\n', lineStart);
      }
      for (; end !== -1; end = text.indexOf('\n', lineStart)) {
        this.#processLine(text, lineStart, end);
        lineStart = end + 1;
      }
    } else {
      for (let index = 0; index < length; index++) {
        const code = text.charCodeAt(index);
        if (code !== LINE_FEED && code !== CARRIAGE_RETURN) continue;
        if (lineStart === 0 && this.#pendingLength > 0) this.#processJoinedLine(text, index);
        else this.#processLine(text, lineStart, index);
        if (code === CARRIAGE_RETURN) {
          if (index + 1 < length) {
            if (text.charCodeAt(index + 1) === LINE_FEED) index++;
          } else {
            this.#skipLeadingLineFeed = true;
          }
        }
        lineStart = index + 1;
      }
    }
    if (lineStart < length) {
      const rest = lineStart === 0 ? text : text.slice(lineStart);
      this.#pending.push(rest);
      this.#pendingLength += rest.length;
    }
    if (this.#pendingLength + this.#data.length > this.#maxEventLength) this.#refuse();
    return events;
  }

  /**
   * Ends the stream. Returns true when nothing was left half-received (no partial line,
   * no event without its terminating blank line).
   */
  finish(): boolean {
    const tail = this.#decoder.end();
    return tail.length === 0 && this.#pendingLength === 0 && !this.#hasData;
  }

  /** The line made of the pending pieces and `text` up to `end`: joined once, then processed. */
  #processJoinedLine(text: string, end: number): void {
    const pending = this.#pending;
    const head = pending.length === 1 ? (pending[0] as string) : pending.join('');
    this.#pending = [];
    this.#pendingLength = 0;
    const line = end === 0 ? head : head + text.slice(0, end);
    const colonAt = this.#colonAt;
    this.#colonAt = NOT_SEARCHED;
    this.#processLine(line, 0, line.length);
    // The next line is in `text` again: the colon search starts afresh there (`text` was not searched yet).
    this.#colonAt = colonAt;
  }

  #processLine(text: string, start: number, end: number): void {
    if (start === end) {
      // A blank line dispatches the event being built.
      if (this.#hasData) this.#events.push({ event: this.#eventName, data: this.#data });
      this.#eventName = '';
      this.#data = '';
      this.#hasData = false;
      return;
    }
    if (text.charCodeAt(start) === COLON) return; // A comment.
    // One search for `:` serves every line up to the colon it finds: each character is searched once.
    let colon = this.#colonAt;
    if (colon !== -1 && colon < start) colon = this.#colonAt = text.indexOf(':', start);
    let field: string;
    let value: string;
    if (colon === -1 || colon >= end) {
      field = text.slice(start, end);
      value = '';
    } else {
      field = text.slice(start, colon);
      const valueStart = text.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1;
      value = valueStart >= end ? '' : text.slice(valueStart, end);
    }
    if (field === 'data') {
      this.#data = this.#hasData ? this.#data + '\n' + value : value;
      this.#hasData = true;
      if (this.#data.length > this.#maxEventLength) this.#refuse();
    } else if (field === 'event') {
      this.#eventName = value;
    }
    // `id` and `retry` do not matter for a one-shot upstream response; other fields are ignored by the spec.
  }

  #refuse(): never {
    this.#pending = [];
    this.#pendingLength = 0;
    this.#data = '';
    throw new SseEventTooLargeError(this.#maxEventLength);
  }
}
