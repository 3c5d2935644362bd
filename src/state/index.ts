/**
 * Shared router state for scale-out: the backend contract, the in-process hub (default, cluster
 * primary, tests) and the Redis backend.
 *
 * @example
 * ```ts
 * import { createRedisState } from 'switchboard/state';
 * const state = createRedisState({ url: 'redis://127.0.0.1:6379' });
 * ```
 */
export * from './shared-state.ts';
export { InProcessStateHub, createInProcessState, type InProcessStateOptions } from './in-process-state.ts';
export { createRedisState, type RedisStateOptions } from './redis-state.ts';
export { LocalTokenBuckets } from './local-token-buckets.ts';
export { deploymentKey } from './fleet-state-record.ts';
export { createClusterWorkerState, serveClusterWorker, type IpcChannel } from './cluster-state.ts';
