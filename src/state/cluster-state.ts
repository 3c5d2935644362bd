import { randomUUID } from 'node:crypto';
import type { InProcessStateHub } from './in-process-state.ts';
import { LocalTokenBuckets } from './local-token-buckets.ts';
import { parseSharedEvent } from './parse-shared-event.ts';
import type {
  SharedStateBackend,
  SharedStateEvent,
  SharedStateListener,
  TokenBucketSettings,
  TokenDecision,
} from './shared-state.ts';

/** The IPC channel between a cluster worker and its primary (`process` in a worker, a `Worker` in the primary). */
export interface IpcChannel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** Marks the state messages among a worker's IPC messages. */
const TAG = 'switchboard-state';

type Request =
  | { op: 'snapshot' }
  | { op: 'permit'; key: string; max: number; leaseMs: number }
  | { op: 'token'; key: string; settings: TokenBucketSettings };

/** How long a worker waits for its primary's answer before answering locally. */
const REPLY_TIMEOUT_MS = 1_000;
const MAX_PENDING = 10_000;

/**
 * A cluster worker's shared-state backend: the primary holds the state (an `InProcessStateHub`)
 * and relays events between workers over IPC. Tokens and probe permits are asked of the primary
 * (one IPC round trip, bounded; a local answer when it does not come).
 *
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * if (cluster.isWorker) await bootstrap({ sharedState: createClusterWorkerState(process as IpcChannel) });
 * ```
 */
export function createClusterWorkerState(channel: IpcChannel, instanceId: string = randomUUID()): SharedStateBackend {
  const listeners = new Set<SharedStateListener>();
  const pending = new Map<number, (value: unknown) => void>();
  const local = new LocalTokenBuckets();
  let counter = 0;
  let closed = false;

  const onMessage = (message: unknown) => {
    if (typeof message !== 'object' || message === null || (message as { tag?: unknown }).tag !== TAG) return;
    const body = message as { kind: string; id?: number; value?: unknown; event?: unknown };
    if (body.kind === 'reply' && typeof body.id === 'number') {
      pending.get(body.id)?.(body.value);
      pending.delete(body.id);
    } else if (body.kind === 'event') {
      const event = parseSharedEvent(body.event);
      if (event === undefined) return;
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          console.error('switchboard: a shared-state listener threw', error);
        }
      }
    }
  };
  channel.on('message', onMessage);

  const ask = <Value>(request: Request, fallback: () => Value): Promise<Value> => {
    if (closed || pending.size >= MAX_PENDING) return Promise.resolve(fallback());
    counter += 1;
    const id = counter;
    return new Promise<Value>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(fallback());
      }, REPLY_TIMEOUT_MS);
      timer.unref();
      pending.set(id, (value) => {
        clearTimeout(timer);
        resolve(value === undefined || value === null ? fallback() : (value as Value));
      });
      try {
        channel.send({ tag: TAG, kind: 'request', id, request });
      } catch {
        pending.delete(id);
        clearTimeout(timer);
        resolve(fallback());
      }
    });
  };

  return {
    instanceId,
    kind: 'cluster',
    isUp: () => !closed,
    whenUp: () => Promise.resolve(!closed),
    onStatusChange: () => () => {},
    publish(event) {
      if (!closed) channel.send({ tag: TAG, kind: 'publish', event });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot: () =>
      ask<unknown[]>({ op: 'snapshot' }, () => []).then((events) =>
        (Array.isArray(events) ? events : []).map(parseSharedEvent).filter((event) => event !== undefined),
      ),
    acquireProbePermit: (key, max, leaseMs) =>
      ask<string | undefined>({ op: 'permit', key, max, leaseMs }, () => `${instanceId}:local`).then((permit) =>
        permit === '' ? undefined : permit,
      ),
    releaseProbePermit(key, permit) {
      if (!closed) channel.send({ tag: TAG, kind: 'release', key, permit });
    },
    takeToken: (key, settings) => ask<TokenDecision>({ op: 'token', key, settings }, () => local.take(key, settings)),
    close() {
      closed = true;
      channel.off('message', onMessage);
      listeners.clear();
      for (const resolve of pending.values()) resolve(undefined);
      pending.clear();
      return Promise.resolve();
    },
  };
}

/**
 * The primary's side: joins one worker to `hub` (its events go to the others, theirs come to
 * it) and answers its requests for snapshots, probe permits and tokens. Returns the detach
 * function (call it when the worker exits).
 */
export function serveClusterWorker(hub: InProcessStateHub, worker: IpcChannel, instanceId: string): () => void {
  const member = hub.connect(instanceId);
  const unsubscribe = member.subscribe((event: SharedStateEvent) => {
    try {
      worker.send({ tag: TAG, kind: 'event', event });
    } catch {
      // the worker is gone; its exit detaches it
    }
  });
  const onMessage = (message: unknown) => {
    if (typeof message !== 'object' || message === null || (message as { tag?: unknown }).tag !== TAG) return;
    const body = message as Record<string, unknown>;
    if (body.kind === 'publish') {
      const event = parseSharedEvent(body.event);
      if (event !== undefined) member.publish(event);
      return;
    }
    if (body.kind === 'release') {
      if (typeof body.key === 'string' && typeof body.permit === 'string')
        hub.releaseProbePermit(body.key, body.permit);
      return;
    }
    if (body.kind !== 'request' || typeof body.id !== 'number') return;
    const request = body.request as Request;
    let value: unknown;
    if (request?.op === 'snapshot') value = hub.snapshot();
    else if (request?.op === 'permit' && typeof request.key === 'string')
      value = hub.acquireProbePermit(request.key, Number(request.max) || 1, Number(request.leaseMs) || 1_000) ?? '';
    else if (request?.op === 'token' && typeof request.key === 'string' && isBucket(request.settings))
      value = hub.takeToken(request.key, request.settings);
    try {
      worker.send({ tag: TAG, kind: 'reply', id: body.id, value });
    } catch {
      // the worker is gone
    }
  };
  worker.on('message', onMessage);
  return () => {
    worker.off('message', onMessage);
    unsubscribe();
    void member.close();
  };
}

function isBucket(value: unknown): value is TokenBucketSettings {
  if (typeof value !== 'object' || value === null) return false;
  const { capacity, requestsPerMinute } = value as Record<string, unknown>;
  return typeof capacity === 'number' && capacity > 0 && typeof requestsPerMinute === 'number' && requestsPerMinute > 0;
}
