import type { DeploymentSnapshot, HealthSnapshot, RouterEvents } from '../router/types.ts';

/**
 * The part of the `Router` that metrics read: its events and its health snapshot.
 * A structural type, so metrics depend on the router's contract rather than its class.
 */
export interface RouterEventSource {
  on<Name extends keyof RouterEvents>(name: Name, listener: (event: RouterEvents[Name]) => void): unknown;
  off<Name extends keyof RouterEvents>(name: Name, listener: (event: RouterEvents[Name]) => void): unknown;
  healthStatus(): Record<string, HealthSnapshot & { deployments?: Record<string, DeploymentSnapshot> }>;
  /** True when at least one provider can take traffic (the `switchboard_ready` gauge); absent = not exported. */
  isReady?(): boolean;
}
