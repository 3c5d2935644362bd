/** A listener of one event type. */
export type Listener<Payload> = (payload: Payload) => void;

/**
 * A minimal typed event emitter. Emitting with no listeners costs one map lookup; a listener
 * that throws is reported on stderr and does not stop routing or the other listeners.
 */
export class EventHub<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Subscribes; returns the function that unsubscribes. */
  on<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(name, listener);
  }

  /** Unsubscribes a listener added with `on`. */
  off<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): void {
    const set = this.listeners.get(name);
    set?.delete(listener as Listener<never>);
    if (set?.size === 0) this.listeners.delete(name);
  }

  /** True when someone listens to `name`: lets callers skip building a payload. */
  has(name: keyof Events): boolean {
    return this.listeners.has(name);
  }

  /** Calls every listener of `name` synchronously, in subscription order. */
  emit<Name extends keyof Events>(name: Name, payload: Events[Name]): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as Listener<Events[Name]>)(payload);
      } catch (error) {
        console.error(`switchboard: a '${String(name)}' listener threw`, error);
      }
    }
  }
}
