/** A phase of a server's shutdown. */
export type ShutdownPhase = 'shutdown' | 'drainExpired';

/**
 * The shutdown phases a server goes through, for the parts of the gateway that hold
 * connections open: `shutdown` when it stops accepting (event streams end at once, they would
 * never finish on their own), `drainExpired` when the drain limit is over (chat streams still
 * running end with an SSE error event before their connections are cut). Listeners run
 * synchronously, in subscription order; each phase fires at most once.
 *
 * @example
 * ```ts
 * const lifecycle = new ServerLifecycle();
 * const app = createGateway({ router, config, lifecycle });
 * // on SIGTERM: lifecycle.beginShutdown(); drain…; lifecycle.expireDrain(); cut the rest.
 * ```
 */
export class ServerLifecycle {
  readonly #listeners: Record<ShutdownPhase, Set<() => void>> = { shutdown: new Set(), drainExpired: new Set() };
  readonly #reached = new Set<ShutdownPhase>();

  /** True once `beginShutdown` was called. */
  get shuttingDown(): boolean {
    return this.#reached.has('shutdown');
  }

  /**
   * Calls `listener` when `phase` is reached (at once when it already was); returns the
   * function that unsubscribes.
   */
  on(phase: ShutdownPhase, listener: () => void): () => void {
    if (this.#reached.has(phase)) {
      listener();
      return () => {};
    }
    const listeners = this.#listeners[phase];
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** The server stopped accepting connections. */
  beginShutdown(): void {
    this.#reach('shutdown');
  }

  /** The drain limit is over: whatever still runs is about to be cut. */
  expireDrain(): void {
    this.#reach('shutdown');
    this.#reach('drainExpired');
  }

  #reach(phase: ShutdownPhase): void {
    if (this.#reached.has(phase)) return;
    this.#reached.add(phase);
    const listeners = [...this.#listeners[phase]];
    this.#listeners[phase].clear();
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        console.error(`switchboard: a '${phase}' listener threw`, error);
      }
    }
  }
}
