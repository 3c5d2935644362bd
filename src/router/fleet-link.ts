import type { AdminEvent, SharedStateBackend, SharedStateEvent } from '../state/shared-state.ts';
import type { Router } from './router.ts';
import type { CircuitStateChangeEvent, CoolDownEvent } from './types.ts';

/** Options of `linkRouterToFleet`. */
export interface FleetLinkOptions {
  /**
   * Applies an operator's change made on another replica that the router cannot apply alone:
   * `add` (an adapter must be built from the entry) and `remove` (its adapter must be closed).
   * Without it, `remove` only unregisters and `add` is ignored.
   */
  applyAdmin?: (event: AdminEvent) => void;
}

/** A router joined to its fleet: publish operator changes through it; `close()` leaves. */
export interface FleetLink {
  /** Sends an operator's change made on this replica to the others. */
  publishAdmin(event: AdminEvent): void;
  /** Resolves when the last re-sync from the recorded fleet state has been applied (tests). */
  synced(): Promise<void>;
  /** Stops publishing and applying; the backend stays open. */
  close(): void;
}

/**
 * Joins a router to a fleet through a shared-state backend. Selection never waits on it: this
 * replica's circuit transitions and cool-downs are published as they happen (fire and forget),
 * the others' arrive by subscription and are applied with `router.applyFleetChange`, which marks
 * them `origin: 'fleet'` so they are never published back (no echo). Each time the backend
 * comes up (at start, after an outage) the recorded fleet state is applied; after an outage this
 * replica's own open circuits and cool-downs are published again too, so a Redis that restarted
 * empty learns them. Latency EMAs and failure rates stay local.
 *
 * @example
 * ```ts
 * const hub = new InProcessStateHub();
 * const link = linkRouterToFleet(router, hub.connect());
 * // … a circuit opened by `router` is now open on every router linked to `hub`
 * link.close();
 * ```
 */
export function linkRouterToFleet(
  router: Router,
  backend: SharedStateBackend,
  options: FleetLinkOptions = {},
): FleetLink {
  let closed = false;
  let lastSync: Promise<void> = Promise.resolve();
  /** Set once the backend has been down: on its return this replica's own state is published again. */
  let wasDown = false;
  const openCircuits = new Map<string, CircuitStateChangeEvent>();
  const coolDowns = new Map<string, CoolDownEvent>();

  const onCircuit = (event: CircuitStateChangeEvent) => {
    const key = `${event.provider}|${event.model}`;
    if (event.to === 'closed') openCircuits.delete(key);
    else openCircuits.set(key, event);
    if (event.origin === 'fleet') return;
    backend.publish({
      type: 'circuit',
      provider: event.provider,
      model: event.model,
      state: event.to,
      openUntil: event.openUntil ?? 0,
    });
  };
  const onCoolDown = (event: CoolDownEvent) => {
    coolDowns.set(`${event.provider}|${event.model}`, event);
    backend.publish({ type: 'cool_down', provider: event.provider, model: event.model, until: event.until });
  };
  const apply = (event: SharedStateEvent) => {
    if (closed) return;
    if (event.type === 'admin' && (event.action === 'add' || event.action === 'remove') && options.applyAdmin) {
      options.applyAdmin(event);
      return;
    }
    router.applyFleetChange(event);
  };
  const resync = async (republish: boolean) => {
    const recorded = await backend.snapshot();
    if (closed) return;
    for (const event of recorded) apply(event);
    if (!republish) return;
    const now = Date.now();
    for (const event of openCircuits.values()) {
      if (event.origin === 'fleet') continue;
      backend.publish({
        type: 'circuit',
        provider: event.provider,
        model: event.model,
        state: event.to,
        openUntil: event.openUntil ?? 0,
      });
    }
    for (const [key, event] of coolDowns) {
      if (event.until <= now) coolDowns.delete(key);
      else backend.publish({ type: 'cool_down', provider: event.provider, model: event.model, until: event.until });
    }
  };
  const onStatus = (up: boolean) => {
    if (!up) wasDown = true;
    else if (!closed) lastSync = resync(wasDown).catch(() => {});
  };

  const unsubscribers = [
    router.on('circuitStateChange', onCircuit),
    router.on('coolDown', onCoolDown),
    backend.subscribe(apply),
    backend.onStatusChange(onStatus),
  ];
  if (backend.isUp()) onStatus(true);

  return {
    publishAdmin(event) {
      if (!closed) backend.publish(event);
    },
    synced: () => lastSync,
    close() {
      closed = true;
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}
