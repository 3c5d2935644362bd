import { randomUUID } from 'node:crypto';
import { FleetStateRecord } from './fleet-state-record.ts';
import { LocalTokenBuckets } from './local-token-buckets.ts';
import type {
  SharedStateBackend,
  SharedStateEvent,
  SharedStateListener,
  TokenBucketSettings,
  TokenDecision,
} from './shared-state.ts';

/** Options of `InProcessStateHub`. */
export interface InProcessStateOptions {
  /** Wall-clock time in ms (cool-down ends, permit leases, buckets). Default `Date.now`; inject a fake one in tests. */
  clock?: () => number;
}

interface Member {
  instanceId: string;
  listeners: Set<SharedStateListener>;
}

/**
 * Shared state held in this process: the default backend of a single gateway, the hub a cluster
 * primary runs for its workers, and a fleet of routers in one test. Replicas join with
 * `connect()`; an event one publishes reaches the others on the next microtask (never
 * synchronously inside the publisher's call), and is recorded for `snapshot()`.
 *
 * @example
 * ```ts
 * const hub = new InProcessStateHub();
 * const first = hub.connect('a');
 * const second = hub.connect('b');
 * second.subscribe((event) => console.log(event)); // sees what `first` publishes
 * first.publish({ type: 'admin', action: 'disable', provider: 'openai' });
 * ```
 */
export class InProcessStateHub {
  private readonly clock: () => number;
  private readonly members = new Set<Member>();
  private readonly record = new FleetStateRecord();
  private readonly buckets: LocalTokenBuckets;
  /** Probe permits per key: permit id → lease end. */
  private readonly permits = new Map<string, Map<string, number>>();
  private permitCounter = 0;

  constructor(options: InProcessStateOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.buckets = new LocalTokenBuckets(this.clock);
  }

  /** A backend for one replica of this hub. */
  connect(instanceId: string = randomUUID()): SharedStateBackend {
    const member: Member = { instanceId, listeners: new Set() };
    this.members.add(member);
    return {
      instanceId,
      kind: 'memory',
      isUp: () => true,
      whenUp: () => Promise.resolve(true),
      publish: (event) => this.publish(event, instanceId),
      subscribe: (listener) => {
        member.listeners.add(listener);
        return () => member.listeners.delete(listener);
      },
      onStatusChange: () => () => {},
      snapshot: () => Promise.resolve(this.snapshot()),
      acquireProbePermit: (key, max, leaseMs) => Promise.resolve(this.acquireProbePermit(key, max, leaseMs)),
      releaseProbePermit: (key, permit) => this.releaseProbePermit(key, permit),
      takeToken: (key, settings) => this.takeToken(key, settings),
      close: () => {
        this.members.delete(member);
        member.listeners.clear();
        return Promise.resolve();
      },
    };
  }

  /** Records `event` and delivers it, on the next microtask, to every member but `origin`. */
  publish(event: SharedStateEvent, origin: string): void {
    this.record.apply(event);
    queueMicrotask(() => {
      for (const member of this.members) {
        if (member.instanceId === origin) continue;
        for (const listener of member.listeners) {
          try {
            listener(event);
          } catch (error) {
            console.error('switchboard: a shared-state listener threw', error);
          }
        }
      }
    });
  }

  /** The recorded state (see `SharedStateBackend.snapshot`). */
  snapshot(): SharedStateEvent[] {
    return this.record.snapshot(this.clock());
  }

  /** Takes one of `max` permits for `key` for `leaseMs`; expired leases are freed first. */
  acquireProbePermit(key: string, max: number, leaseMs: number): string | undefined {
    const now = this.clock();
    let leases = this.permits.get(key);
    if (leases === undefined) {
      leases = new Map();
      this.permits.set(key, leases);
    }
    for (const [permit, until] of leases) if (until <= now) leases.delete(permit);
    if (leases.size >= max) return undefined;
    this.permitCounter += 1;
    const permit = String(this.permitCounter);
    leases.set(permit, now + leaseMs);
    return permit;
  }

  /** Frees a permit. */
  releaseProbePermit(key: string, permit: string): void {
    const leases = this.permits.get(key);
    if (leases === undefined) return;
    leases.delete(permit);
    if (leases.size === 0) this.permits.delete(key);
  }

  /** Takes a token from the hub's bucket `key`, synchronously. */
  takeToken(key: string, settings: TokenBucketSettings): TokenDecision {
    return this.buckets.take(key, settings);
  }
}

/**
 * The default backend of a gateway without `state.redis` and with one worker: nothing to share
 * with, so publishing only records, tokens and probe permits are local and synchronous.
 *
 * @example
 * ```ts
 * const state = createInProcessState();
 * state.takeToken('key#0', { capacity: 10, requestsPerMinute: 60 }); // { allowed: true, … }
 * ```
 */
export function createInProcessState(options: InProcessStateOptions = {}): SharedStateBackend {
  return new InProcessStateHub(options).connect();
}
