/** One structured log line per request. Never holds message content or keys. */
export interface RequestLogRecord {
  time: string;
  level: 'info' | 'error';
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
  /** For `level: 'error'`: what failed unexpectedly (name and message, no stack). */
  error?: string;
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

/** A logger that drops everything (tests). */
export const silentLogger: RequestLogger = () => {};
