import type { AdminEvent, SharedStateEvent } from './shared-state.ts';

/**
 * The fleet's current state as events have set it, kept by the in-process hub (and by a cluster
 * primary for its workers): circuits not closed, cool-downs, and the admin changes, so that a
 * replica that joins or comes back can be brought up to date with `snapshot()`. The Redis
 * backend keeps the same record in Redis hashes.
 */
export class FleetStateRecord {
  private readonly circuits = new Map<string, SharedStateEvent & { type: 'circuit' }>();
  private readonly coolDowns = new Map<string, SharedStateEvent & { type: 'cool_down' }>();
  private readonly enabled = new Map<string, boolean>();
  private readonly added = new Map<string, AdminEvent & { action: 'add' }>();
  private readonly removed = new Set<string>();

  /** Applies one event to the record. */
  apply(event: SharedStateEvent): void {
    if (event.type === 'circuit') {
      const key = deploymentKey(event.provider, event.model);
      if (event.state === 'closed') this.circuits.delete(key);
      else this.circuits.set(key, event);
      return;
    }
    if (event.type === 'cool_down') {
      const key = deploymentKey(event.provider, event.model);
      const known = this.coolDowns.get(key);
      if (known === undefined || known.until < event.until) this.coolDowns.set(key, event);
      return;
    }
    const { provider } = event;
    switch (event.action) {
      case 'enable':
      case 'disable':
        this.enabled.set(provider, event.action === 'enable');
        return;
      case 'reset':
        this.forgetHealth(provider);
        return;
      case 'add':
        this.removed.delete(provider);
        this.enabled.delete(provider);
        this.forgetHealth(provider);
        this.added.set(provider, event);
        return;
      case 'remove':
        this.added.delete(provider);
        this.enabled.delete(provider);
        this.forgetHealth(provider);
        this.removed.add(provider);
        return;
    }
  }

  /** Events that rebuild the recorded state: removals and additions first, then switches, circuits and cool-downs in force at `now`. */
  snapshot(now: number): SharedStateEvent[] {
    const events: SharedStateEvent[] = [];
    for (const provider of this.removed) events.push({ type: 'admin', action: 'remove', provider });
    for (const event of this.added.values()) events.push(event);
    for (const [provider, enabled] of this.enabled)
      events.push({ type: 'admin', action: enabled ? 'enable' : 'disable', provider });
    for (const event of this.circuits.values()) events.push(event);
    for (const [key, event] of this.coolDowns) {
      if (event.until > now) events.push(event);
      else this.coolDowns.delete(key);
    }
    return events;
  }

  private forgetHealth(provider: string): void {
    for (const [key, event] of this.circuits) if (event.provider === provider) this.circuits.delete(key);
    for (const [key, event] of this.coolDowns) if (event.provider === provider) this.coolDowns.delete(key);
  }
}

/** The key of one deployment (provider × model, `*` for provider-wide) in records, Redis hashes and permits. */
export function deploymentKey(provider: string, model: string): string {
  return `${provider}|${model}`;
}
