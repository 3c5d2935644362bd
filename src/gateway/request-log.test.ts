import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonLineLogger, type RequestLogRecord } from './request-log.ts';

function collectingStream(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString());
      callback();
    },
  });
  return { stream, writes };
}

const record = (id: string): RequestLogRecord => ({
  time: '2026-01-01T00:00:00.000Z',
  level: 'info',
  msg: 'request',
  id,
  status: 200,
});

describe('jsonLineLogger', () => {
  it('writes one JSON line per record, the lines of one event-loop turn in a single write', async () => {
    const { stream, writes } = collectingStream();
    const log = jsonLineLogger(stream);
    log(record('a'));
    log(record('b'));
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    expect(
      writes[0]!
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).id),
    ).toEqual(['a', 'b']);
    log(record('c'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(2);
    expect(JSON.parse(writes[1]!)).toMatchObject({ id: 'c', status: 200 });
  });
});
