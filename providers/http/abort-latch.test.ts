import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { AbortLatch } from '../../src/contract/abort-latch.ts';

describe('AbortLatch', () => {
  it('calls function and object listeners once, in order, with the reason set', () => {
    const latch = new AbortLatch();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    latch.addEventListener('abort', () => calls.push(`function:${String(latch.reason)}`));
    latch.addEventListener('abort', { handleEvent: () => calls.push('object') });
    latch.addEventListener('abort', removed);
    latch.removeEventListener('abort', removed);
    latch.abort('why');
    latch.abort('again');
    expect(calls).toEqual(['function:why', 'object']);
    expect(latch.aborted).toBe(true);
  });

  it('defaults the reason to an AbortError', () => {
    const latch = new AbortLatch();
    latch.abort();
    expect(latch.reason).toBeInstanceOf(DOMException);
    expect((latch.reason as DOMException).name).toBe('AbortError');
  });

  it('aborts a real undici request: the server sees its socket close', async () => {
    let closed!: () => void;
    const socketClosed = new Promise<void>((resolve) => (closed = resolve));
    const server = createServer((request) => request.socket.once('close', closed));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const latch = new AbortLatch();
      const pending = pool.request({ path: '/', method: 'GET', signal: latch as unknown as AbortSignal });
      setTimeout(() => latch.abort(new Error('stop')), 50);
      await expect(pending).rejects.toThrow('stop');
      await socketClosed;
    } finally {
      await pool.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
