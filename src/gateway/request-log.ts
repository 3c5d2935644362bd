import type { SecretScrubber } from '../contract/secret-scrubber.ts';

/** Severity of a log record, least to most severe; `server.logLevel` drops records below it. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The log levels in increasing severity. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * One structured log line: a request's access line (`msg: "request"`), an upstream attempt's
 * failure, a circuit transition, a failed health probe, an unexpected error. Never holds message
 * content or keys; text from upstreams is scrubbed (see `scrubbingLogger`).
 */
export interface RequestLogRecord {
  time: string;
  level: LogLevel;
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
  /** For `level: 'error'`: what failed unexpectedly (name and message, no stack); for upstream failures, their message. */
  error?: string;
  /** An upstream failure's kind: `http`, `timeout`, `connection`, `protocol`. */
  kind?: string;
  /** The status an upstream answered. */
  upstreamStatus?: number;
  /** The first 200 characters of an upstream's error body, scrubbed. */
  upstreamBody?: string;
  /** A connection failure's code, e.g. `ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`. */
  connectionErrorCode?: string;
  /** Whether the failure counted against the provider's health. */
  countsAsFailure?: boolean;
  /** A circuit transition: the states and why. */
  from?: string;
  to?: string;
  reason?: string;
  /** A config reload: what asked for it (`signal`, `admin`) and what it changed. */
  trigger?: string;
  added?: string[];
  removed?: string[];
  replaced?: string[];
  kept?: string[];
  /** Changed settings a reload left for the next restart, by path. */
  restartRequired?: string[];
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

/**
 * Wraps `logger` so that records below `minimum` are dropped (`server.logLevel`): at `info`, the
 * `debug` access lines of `/health` and `/metrics` are not written.
 *
 * @example
 * ```ts
 * const logger = levelFilter(jsonLineLogger(), 'warn'); // upstream failures and errors only
 * ```
 */
export function levelFilter(logger: RequestLogger, minimum: LogLevel): RequestLogger {
  if (minimum === 'debug') return logger;
  const threshold = LOG_LEVELS.indexOf(minimum);
  const enabled = new Set(LOG_LEVELS.filter((_level, index) => index >= threshold));
  return (record) => {
    if (enabled.has(record.level)) logger(record);
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: RequestLogger = () => {};
