import type { SecretScrubber } from '../contract/secret-scrubber.ts';

/** One structured log line per request. Never holds message content or keys. */
export interface RequestLogRecord {
  time: string;
  level: 'info' | 'warn' | 'error';
  msg: string;
  id: string | undefined;
  method?: string;
  path?: string;
  status?: number;
  latencyMs?: number;
  model?: string;
  provider?: string;
  attempts?: number;
  stream?: boolean;
  errorCode?: string | null;
  /** For `level: 'error'`: what failed unexpectedly (name and message, no stack); for `warn`, the upstream's message (scrubbed, at most 200 characters). */
  error?: string;
  /** For an upstream failure: its kind (`http`, `timeout`, `connection`, `protocol`). */
  kind?: string;
  /** For an upstream failure: the status the upstream answered. */
  upstreamStatus?: number;
}

/** Receives log records; inject one to route logs elsewhere or to silence them. */
export type RequestLogger = (record: RequestLogRecord) => void;

/** Loggers with lines not yet written, flushed if the process exits first. */
const unflushed = new Set<() => void>();
let exitHookInstalled = false;

/**
 * A logger writing one JSON line per record to a stream (default stdout). Lines logged in the
 * same turn of the event loop leave in one write (one syscall instead of one per request);
 * they are written before the process exits.
 */
export function jsonLineLogger(stream: NodeJS.WritableStream = process.stdout): RequestLogger {
  let pending = '';
  const flush = () => {
    unflushed.delete(flush);
    if (pending === '') return;
    const text = pending;
    pending = '';
    stream.write(text);
  };
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const flushLogger of unflushed) flushLogger();
    });
  }
  return (record) => {
    if (pending === '') {
      unflushed.add(flush);
      setImmediate(flush);
    }
    pending += `${JSON.stringify(record)}\n`;
  };
}

/**
 * Wraps `logger` so that no record carries a secret: the `msg` and `error` of every record (where
 * upstream text can appear) go through `scrubber`. Records without an error pass untouched.
 *
 * @example
 * ```ts
 * const logger = scrubbingLogger(jsonLineLogger(), new SecretScrubber([upstreamKey]));
 * ```
 */
export function scrubbingLogger(logger: RequestLogger, scrubber: SecretScrubber): RequestLogger {
  return (record) => {
    if (record.error === undefined && record.level === 'info') {
      logger(record);
      return;
    }
    const scrubbed: RequestLogRecord = { ...record, msg: scrubber.scrub(record.msg) };
    if (record.error !== undefined) scrubbed.error = scrubber.scrub(record.error);
    logger(scrubbed);
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: RequestLogger = () => {};
