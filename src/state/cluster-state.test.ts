import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createClusterWorkerState, serveClusterWorker, type IpcChannel } from './cluster-state.ts';
import { InProcessStateHub } from './in-process-state.ts';
import type { SharedStateEvent } from './shared-state.ts';
import { waitFor } from './test-support/wait-for.ts';

/** Two ends of an IPC pipe; messages go through structured cloning on a later tick, as over IPC. */
function pipe(): { worker: IpcChannel; primary: IpcChannel } {
  const toWorker = new EventEmitter();
  const toPrimary = new EventEmitter();
  const end = (inbox: EventEmitter, outbox: EventEmitter): IpcChannel => ({
    send: (message) => setImmediate(() => outbox.emit('message', structuredClone(message))),
    on: (event, listener) => inbox.on(event, listener),
    off: (event, listener) => inbox.off(event, listener),
  });
  return { worker: end(toWorker, toPrimary), primary: end(toPrimary, toWorker) };
}

describe('cluster state through the primary', () => {
  it('relays events between workers, answers snapshots, and shares token buckets and probe permits exactly', async () => {
    const hub = new InProcessStateHub();
    const workers = [pipe(), pipe()].map((channel, index) => {
      serveClusterWorker(hub, channel.primary, `worker-${index}`);
      return createClusterWorkerState(channel.worker, `worker-${index}`);
    });
    const seen: SharedStateEvent[] = [];
    workers[1]!.subscribe((event) => seen.push(event));
    const open: SharedStateEvent = { type: 'circuit', provider: 'p', model: 'm', state: 'open', openUntil: 5 };
    workers[0]!.publish(open);
    await waitFor(() => seen.length > 0, 2_000, 'the event relayed');
    expect(seen).toEqual([open]);
    expect(await workers[1]!.snapshot()).toEqual([open]);

    const settings = { capacity: 10, requestsPerMinute: 1 };
    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, index) => workers[index % 2]!.takeToken('bucket', settings)),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);

    const permit = await workers[0]!.acquireProbePermit('p|m', 1, 60_000);
    expect(permit).toBeDefined();
    expect(await workers[1]!.acquireProbePermit('p|m', 1, 60_000)).toBeUndefined();
    workers[0]!.releaseProbePermit('p|m', permit!);
    await waitFor(
      async () => (await workers[1]!.acquireProbePermit('p|m', 1, 60_000)) !== undefined,
      2_000,
      'the released permit taken by the other worker',
    );
    await Promise.all(workers.map((worker) => worker.close()));
  });

  it('answers locally when the primary does not', async () => {
    const silent: IpcChannel = { send: () => true, on: () => undefined, off: () => undefined };
    const worker = createClusterWorkerState(silent);
    const pending = worker.takeToken('bucket', { capacity: 1, requestsPerMinute: 60 });
    await worker.close();
    expect(await pending).toMatchObject({ allowed: true });
  });
});
