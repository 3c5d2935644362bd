/**
 * The contract between a router replica and the state it shares with the other replicas of a
 * fleet (the workers of one process, or every process on one Redis). Selection never waits on
 * it: changes are published fire-and-forget and arrive at the others by subscription; only a
 * shared rate-limit bucket and a fleet-wide half-open probe permit are asked for, asynchronously.
 */

/** A circuit's state as shared; the same strings as the router's `CircuitState`. */
export type SharedCircuitState = 'closed' | 'open' | 'half_open';

/** Model label of a provider-wide circuit or cool-down (one that covers every model of the provider). */
export const PROVIDER_WIDE = '*';

/** A circuit changed state on some replica. */
export interface CircuitStateEvent {
  type: 'circuit';
  provider: string;
  /** The deployment's public model, or `*` for the provider-wide circuit. */
  model: string;
  state: SharedCircuitState;
  /** Wall-clock time (ms since epoch) when an open circuit may let probes through; 0 otherwise. */
  openUntil: number;
}

/** A replica learnt a cool-down (a 429's retry-after) for a provider or one of its deployments. */
export interface CoolDownEvent {
  type: 'cool_down';
  provider: string;
  /** The deployment's public model, or `*` for the whole provider. */
  model: string;
  /** Wall-clock end of the cool-down (ms since epoch). */
  until: number;
}

/** An operator's change through the admin API of some replica. */
export type AdminEvent =
  | { type: 'admin'; action: 'enable' | 'disable' | 'reset' | 'remove'; provider: string }
  | {
      type: 'admin';
      action: 'add';
      provider: string;
      /** The config-shaped provider entry the replica was given (validated again on arrival). */
      entry: Readonly<Record<string, unknown>>;
    };

/** Everything replicas tell each other. */
export type SharedStateEvent = CircuitStateEvent | CoolDownEvent | AdminEvent;

/** Receives the events other replicas published. */
export type SharedStateListener = (event: SharedStateEvent) => void;

/** Settings of one shared token bucket. */
export interface TokenBucketSettings {
  /** Bucket size: requests allowed at once. */
  capacity: number;
  /** Tokens added per minute. */
  requestsPerMinute: number;
}

/** The verdict on one token taken from a bucket. */
export interface TokenDecision {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until the next token, when refused (0 when allowed). */
  retryAfterSeconds: number;
}

/**
 * A shared-state backend. Every method returns at once or with a bounded wait; none throws for
 * a backend that is down: publishing is then dropped (the replica keeps its local state and
 * re-syncs on return), a token is taken from a local bucket, a probe permit is granted locally.
 */
export interface SharedStateBackend {
  /** This replica's id, unique in the fleet (the origin of what it publishes). */
  readonly instanceId: string;
  /** `memory` (one process), `cluster` (a worker, through its primary) or `redis`. */
  readonly kind: 'memory' | 'cluster' | 'redis';
  /** True while the shared store is reachable (always true for `memory`). */
  isUp(): boolean;
  /** Records `event` as the fleet's current state and sends it to every other replica. Fire and forget. */
  publish(event: SharedStateEvent): void;
  /** Subscribes to what other replicas publish (never one's own events); returns the unsubscribe function. */
  subscribe(listener: SharedStateListener): () => void;
  /** Resolves true once the store is reachable, or false after `timeoutMs` (start-up waits this long at most). */
  whenUp(timeoutMs: number): Promise<boolean>;
  /** Called with the new value each time `isUp()` changes; returns the unsubscribe function. */
  onStatusChange(listener: (up: boolean) => void): () => void;
  /**
   * The fleet's recorded state, for a replica that starts or comes back: circuits not closed,
   * cool-downs in force, disabled or added or removed providers. Empty when the store is down.
   */
  snapshot(): Promise<SharedStateEvent[]>;
  /**
   * Takes one of at most `max` fleet-wide probe permits for `key` (a half-open deployment), held
   * for `leaseMs` unless released. Resolves with the permit's id, or undefined when all are taken.
   */
  acquireProbePermit(key: string, max: number, leaseMs: number): Promise<string | undefined>;
  /** Gives a probe permit back (its probe finished). */
  releaseProbePermit(key: string, permit: string): void;
  /**
   * Takes a token from the shared bucket `key`: synchronously when the bucket is local, else with
   * one round trip (bounded; a local bucket answers when the store is down or slow).
   */
  takeToken(key: string, settings: TokenBucketSettings): TokenDecision | Promise<TokenDecision>;
  /** Disconnects; pending calls settle. */
  close(): Promise<void>;
}

/** One log line of a shared-state backend (connectivity changes only, never per request). */
export interface StateLogRecord {
  time: string;
  level: 'info' | 'warn' | 'error';
  msg: string;
  [field: string]: unknown;
}

/** Receives a backend's log lines. */
export type StateLogger = (record: StateLogRecord) => void;

/** The default state logger: one JSON line on stdout, like the request log (silent under vitest). */
export const defaultStateLogger: StateLogger = (record) => {
  if (process.env.VITEST) return;
  process.stdout.write(`${JSON.stringify(record)}\n`);
};
