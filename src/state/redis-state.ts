import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LocalTokenBuckets, tokenDecision } from './local-token-buckets.ts';
import { parseBoundedJson, parseSharedEvent } from './parse-shared-event.ts';
import { ACQUIRE_PERMIT_SCRIPT, RECORD_EVENT_SCRIPT, TAKE_TOKEN_SCRIPT, type RedisScript } from './redis-scripts.ts';
import {
  defaultStateLogger,
  type SharedStateBackend,
  type SharedStateEvent,
  type SharedStateListener,
  type StateLogger,
  type TokenBucketSettings,
  type TokenDecision,
} from './shared-state.ts';

/** Options of `createRedisState`; `url` and `keyPrefix` are the config's `state.redis`. */
export interface RedisStateOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Prefix of every key and of the channel. Default `switchboard:`. */
  keyPrefix?: string;
  /** This replica's id. Default a random UUID. */
  instanceId?: string;
  /** Bound of every Redis command, in ms; past it the call is answered locally. Default 250. */
  commandTimeoutMs?: number;
  /** Bound of one connection attempt, in ms. Default 1000. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnection attempts, in ms. Default 1000. */
  maxReconnectDelayMs?: number;
  /** How often the connection is checked with a PING, in ms (a silent network is noticed too). Default 1000. */
  heartbeatMs?: number;
  /** Connectivity log lines (one per change). Default: JSON lines on stdout. */
  logger?: StateLogger;
  /** Clock of the local fallback buckets. Default `Date.now`. */
  clock?: () => number;
}

interface Envelope {
  origin: string;
  event: SharedStateEvent;
}

const MAX_EVENT_BYTES = 256 * 1024;

/**
 * Shared state in Redis (ioredis). Events are recorded in hashes and sent on one pub/sub channel by
 * one atomic script; other replicas apply them from their subscription, so no request waits on
 * Redis except a rate-limited one (one script call: an atomic token bucket, exact across
 * replicas). Offline queues are off and every command is bounded by `commandTimeoutMs`: while
 * Redis is down or slow, nothing queues; publishing is dropped, tokens and probe permits are
 * answered locally, and the replica re-syncs from the recorded state when Redis returns.
 *
 * @example
 * ```ts
 * const state = createRedisState({ url: 'redis://127.0.0.1:6379', keyPrefix: 'switchboard:' });
 * await state.whenUp(1000);
 * state.subscribe((event) => console.log('from another replica', event));
 * ```
 */
export function createRedisState(options: RedisStateOptions): SharedStateBackend {
  return new RedisState(options);
}

class RedisState implements SharedStateBackend {
  readonly instanceId: string;
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly keys: { circuits: string; coolDowns: string; enabled: string; added: string; removed: string };
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly logger: StateLogger;
  private readonly local: LocalTokenBuckets;
  private readonly listeners = new Set<SharedStateListener>();
  private readonly statusListeners = new Set<(up: boolean) => void>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly url: string;
  private subscribed = false;
  private heartbeatHealthy = true;
  private up = false;
  private closed = false;
  private permitCounter = 0;
  private lastError: string | undefined;

  constructor(options: RedisStateOptions) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.prefix = options.keyPrefix ?? 'switchboard:';
    this.channel = `${this.prefix}events`;
    this.keys = {
      circuits: `${this.prefix}circuits`,
      coolDowns: `${this.prefix}cool-downs`,
      enabled: `${this.prefix}admin:enabled`,
      added: `${this.prefix}admin:added`,
      removed: `${this.prefix}admin:removed`,
    };
    this.logger = options.logger ?? defaultStateLogger;
    this.local = new LocalTokenBuckets(options.clock ?? Date.now);
    this.url = redactUrl(options.url);
    const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 1_000;
    const connectionOptions = {
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs ?? 250,
      connectTimeout: options.connectTimeoutMs ?? 1_000,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      lazyConnect: true,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxReconnectDelayMs),
    };
    this.commands = new Redis(options.url, { ...connectionOptions, connectionName: `switchboard-${this.instanceId}` });
    this.subscriber = new Redis(options.url, {
      ...connectionOptions,
      connectionName: `switchboard-${this.instanceId}-events`,
    });
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (error: Error) => {
        this.lastError = error.message;
      });
      client.on('close', () => {
        if (client === this.subscriber) this.subscribed = false;
        this.updateStatus();
      });
    }
    this.commands.on('ready', () => {
      this.heartbeatHealthy = true;
      this.updateStatus();
    });
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel).then(
        () => {
          this.subscribed = true;
          this.updateStatus();
        },
        (error: Error) => {
          this.lastError = error.message;
          this.subscriber.disconnect(true);
        },
      );
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.receive(message);
    });
    for (const client of [this.commands, this.subscriber]) {
      client.connect().catch((error: Error) => {
        this.lastError = error.message;
      });
    }
    this.heartbeat = setInterval(() => this.checkHeartbeat(), options.heartbeatMs ?? 1_000);
    this.heartbeat.unref();
    this.logger({
      time: new Date().toISOString(),
      level: 'info',
      msg: 'shared state: connecting to redis',
      url: this.url,
    });
  }

  isUp(): boolean {
    return this.up;
  }

  whenUp(timeoutMs: number): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        unsubscribe();
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const unsubscribe = this.onStatusChange((up) => {
        if (!up) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(true);
      });
    });
  }

  onStatusChange(listener: (up: boolean) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  subscribe(listener: SharedStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: SharedStateEvent): void {
    if (!this.up) return;
    const json = JSON.stringify(event);
    const envelope: Envelope = { origin: this.instanceId, event };
    const { circuits, coolDowns, enabled, added, removed } = this.keys;
    this.run(
      RECORD_EVENT_SCRIPT,
      [circuits, coolDowns, enabled, added, removed],
      [json, this.channel, JSON.stringify(envelope)],
    ).catch((error: Error) => {
      this.lastError = error.message;
    });
  }

  async snapshot(): Promise<SharedStateEvent[]> {
    if (!this.up) return [];
    const { circuits, coolDowns, enabled, added, removed } = this.keys;
    let results: [Error | null, unknown][] | null;
    try {
      results = await this.commands
        .pipeline()
        .smembers(removed)
        .hgetall(added)
        .hgetall(enabled)
        .hgetall(circuits)
        .hgetall(coolDowns)
        .exec();
    } catch (error) {
      this.lastError = (error as Error).message;
      return [];
    }
    if (results === null || results.some(([error]) => error !== null)) return [];
    const [removedNames, addedEntries, enabledFlags, circuitEntries, coolDownEntries] = results.map(
      ([, value]) => value,
    ) as [string[], Record<string, string>, Record<string, string>, Record<string, string>, Record<string, string>];
    const events: SharedStateEvent[] = [];
    for (const provider of removedNames) events.push({ type: 'admin', action: 'remove', provider });
    for (const text of Object.values(addedEntries)) pushParsed(events, text);
    for (const [provider, flag] of Object.entries(enabledFlags))
      events.push({ type: 'admin', action: flag === '1' ? 'enable' : 'disable', provider });
    for (const text of Object.values(circuitEntries)) pushParsed(events, text);
    const now = Date.now();
    for (const text of Object.values(coolDownEntries)) {
      const event = parseSharedEvent(parseBoundedJson(text, MAX_EVENT_BYTES));
      if (event?.type === 'cool_down' && event.until > now) events.push(event);
    }
    return events;
  }

  async acquireProbePermit(key: string, max: number, leaseMs: number): Promise<string | undefined> {
    this.permitCounter += 1;
    const permit = `${this.instanceId}:${this.permitCounter}`;
    // Down: the router's own half-open cap is the only one there can be.
    if (!this.up) return permit;
    try {
      const granted = await this.run(
        ACQUIRE_PERMIT_SCRIPT,
        [`${this.prefix}probe:${key}`],
        [String(max), String(Math.max(1, Math.ceil(leaseMs))), permit],
      );
      return granted === 1 ? permit : undefined;
    } catch (error) {
      this.lastError = (error as Error).message;
      return permit;
    }
  }

  releaseProbePermit(key: string, permit: string): void {
    if (!this.up) return;
    this.commands.zrem(`${this.prefix}probe:${key}`, permit).catch((error: Error) => {
      this.lastError = error.message;
    });
  }

  takeToken(key: string, settings: TokenBucketSettings): TokenDecision | Promise<TokenDecision> {
    if (!this.up) return this.local.take(key, settings);
    const tokensPerMs = settings.requestsPerMinute / 60_000;
    return this.run(
      TAKE_TOKEN_SCRIPT,
      [`${this.prefix}bucket:${key}`],
      [String(settings.capacity), String(tokensPerMs)],
    )
      .then((reply) => {
        const [allowed, tokens] = reply as [number, string];
        return tokenDecision(allowed === 1, Number(tokens), settings.capacity, tokensPerMs);
      })
      .catch((error: Error) => {
        this.lastError = error.message;
        return this.local.take(key, settings);
      });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.listeners.clear();
    this.commands.disconnect();
    this.subscriber.disconnect();
    this.updateStatus();
    this.statusListeners.clear();
  }

  /** EVALSHA, and EVAL when Redis does not know the script yet (first use, or after a restart). */
  private async run(redisScript: RedisScript, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.commands.evalsha(redisScript.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error as Error).message.startsWith('NOSCRIPT')) throw error;
      return this.commands.eval(redisScript.source, keys.length, ...keys, ...args);
    }
  }

  private receive(message: string): void {
    const envelope = parseBoundedJson(message, MAX_EVENT_BYTES) as Partial<Envelope> | undefined;
    if (envelope === undefined || envelope === null || envelope.origin === this.instanceId) return;
    const event = parseSharedEvent(envelope.event);
    if (event === undefined) return;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('switchboard: a shared-state listener threw', error);
      }
    }
  }

  private checkHeartbeat(): void {
    if (this.commands.status !== 'ready') return;
    this.commands.ping().then(
      () => {
        if (!this.heartbeatHealthy) {
          this.heartbeatHealthy = true;
          this.updateStatus();
        }
      },
      (error: Error) => {
        this.lastError = error.message;
        if (this.heartbeatHealthy) {
          this.heartbeatHealthy = false;
          this.updateStatus();
        }
      },
    );
  }

  private updateStatus(): void {
    const up =
      !this.closed &&
      this.heartbeatHealthy &&
      this.subscribed &&
      this.commands.status === 'ready' &&
      this.subscriber.status === 'ready';
    if (up === this.up) return;
    this.up = up;
    if (!this.closed || !up) {
      this.logger({
        time: new Date().toISOString(),
        level: up ? 'info' : 'warn',
        msg: up
          ? 'shared state: redis connected; sharing with the fleet'
          : this.closed
            ? 'shared state: redis connection closed'
            : 'shared state: redis unreachable; serving on local state',
        url: this.url,
        ...(up || this.lastError === undefined ? {} : { error: this.lastError }),
      });
    }
    for (const listener of this.statusListeners) {
      try {
        listener(up);
      } catch (error) {
        console.error('switchboard: a shared-state status listener threw', error);
      }
    }
  }
}

function pushParsed(events: SharedStateEvent[], text: string): void {
  const event = parseSharedEvent(parseBoundedJson(text, MAX_EVENT_BYTES));
  if (event !== undefined) events.push(event);
}

/** The URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable url)';
  }
}
