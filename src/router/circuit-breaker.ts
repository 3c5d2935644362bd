import { shouldOpen } from './breaker-policy.ts';
import type { FleetProbeGate } from './fleet-probe-gate.ts';
import type { CircuitBreakerConfig, CircuitState, CircuitTransitionReason } from './types.ts';

/** A state change the breaker made; the router turns it into a `circuitStateChange` event. */
export interface CircuitTransition {
  from: CircuitState;
  to: CircuitState;
  reason: CircuitTransitionReason;
}

/**
 * One provider's circuit: closed → open → half-open → closed. Pure and synchronous: every
 * method takes the current time, and the ones that may change state return the transition
 * (or `undefined`) for the caller to publish.
 *
 * - Open → half-open happens lazily in `advance(now)` once the open timeout has passed (the
 *   timeout backs off with consecutive openings, × openings, capped, and resets on closing), or
 *   at once on a successful active health probe (`onHealthProbeSuccess`).
 * - Half-open admits at most `halfOpenMaxProbes` concurrent probe requests; a slot not
 *   released within the open timeout expires, so a lost result cannot wedge the circuit.
 */
export class CircuitBreaker {
  state: CircuitState = 'closed';
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;
  lastStateChange: number;
  openReason: CircuitTransitionReason | null = null;
  private openedAt = 0;
  private consecutiveOpenings = 0;
  /** Expiry times of the probe slots currently taken. */
  private readonly probeExpiries: number[] = [];
  private readonly config: () => Readonly<CircuitBreakerConfig>;
  /** With a fleet (shared state), probes run only under fleet-wide permits this gate holds. */
  probeGate: FleetProbeGate | undefined = undefined;

  /** @param config read on every decision, so `setCircuitConfig` applies to live circuits. */
  constructor(config: () => Readonly<CircuitBreakerConfig>, now: number) {
    this.config = config;
    this.lastStateChange = now;
  }

  /** The open timeout in force now: the base timeout × consecutive openings, capped. */
  currentOpenTimeoutMs(): number {
    const { openTimeoutMs, maxOpenTimeoutMultiplier } = this.config();
    return openTimeoutMs * Math.min(Math.max(1, this.consecutiveOpenings), maxOpenTimeoutMultiplier);
  }

  /** Probe slots taken now (expired ones included until the next check). */
  get probesInUse(): number {
    return this.probeExpiries.length;
  }

  /** When an open circuit lets probes through (router clock); 0 when it is not open. */
  get openUntil(): number {
    return this.state === 'open' ? this.openedAt + this.currentOpenTimeoutMs() : 0;
  }

  /**
   * Takes the state another replica of the fleet reported (reason `fleet_state`): open until
   * `openUntil` (the back-off grows as for a local opening), half-open with no probes, or closed
   * with counters cleared. Returns the transition, or undefined when the state is already that
   * one (an open circuit then only takes the later `openUntil`).
   */
  adopt(state: CircuitState, openUntil: number, now: number): CircuitTransition | undefined {
    if (state === 'open') {
      if (this.state === 'open') {
        if (openUntil > this.openUntil) this.openedAt = openUntil - this.currentOpenTimeoutMs();
        return undefined;
      }
      this.consecutiveOpenings += 1;
      this.openedAt = openUntil - this.currentOpenTimeoutMs();
      this.consecutiveSuccesses = 0;
      this.probeExpiries.length = 0;
      return this.moveTo('open', 'fleet_state', now);
    }
    if (state === this.state) return undefined;
    this.consecutiveSuccesses = 0;
    this.probeExpiries.length = 0;
    if (state === 'closed') {
      this.consecutiveFailures = 0;
      this.consecutiveOpenings = 0;
    }
    return this.moveTo(state, 'fleet_state', now);
  }

  /** Moves an open circuit to half-open once its timeout has passed. */
  advance(now: number): CircuitTransition | undefined {
    if (this.state !== 'open' || now - this.openedAt < this.currentOpenTimeoutMs()) return undefined;
    this.probeExpiries.length = 0;
    this.consecutiveSuccesses = 0;
    return this.moveTo('half_open', 'open_timeout_elapsed', now);
  }

  /** A request succeeded. */
  onSuccess(now: number): CircuitTransition | undefined {
    if (this.state === 'open') return undefined;
    this.consecutiveFailures = 0;
    this.consecutiveSuccesses += 1;
    if (this.state === 'half_open' && this.consecutiveSuccesses >= this.config().halfOpenSuccessThreshold) {
      this.consecutiveSuccesses = 0;
      this.consecutiveOpenings = 0;
      this.probeExpiries.length = 0;
      return this.moveTo('closed', 'half_open_successes_reached', now);
    }
    return undefined;
  }

  /** A request failed in a way that counts against the provider; `failureRate` is already updated. */
  onFailure(now: number, failureRate: number): CircuitTransition | undefined {
    if (this.state === 'open') return undefined;
    if (this.state === 'half_open') return this.open(now, 'half_open_probe_failed');
    this.consecutiveFailures += 1;
    this.consecutiveSuccesses = 0;
    if (shouldOpen({ failureRate, consecutiveFailures: this.consecutiveFailures }, this.config())) {
      return this.open(now, 'failure_rate_or_consecutive_failures');
    }
    return undefined;
  }

  /**
   * An active health probe failed. Open: nothing changes (failed probes during an outage do not
   * push the provider's return out). Half-open: back to open. Closed: counts as a failure
   * (`failureRate` already updated).
   */
  onHealthProbeFailure(now: number, failureRate: number): CircuitTransition | undefined {
    if (this.state === 'open') return undefined;
    if (this.state === 'half_open') return this.open(now, 'health_probe_failed');
    return this.onFailure(now, failureRate);
  }

  /**
   * An active health probe succeeded: an open circuit moves to half-open at once, so real
   * requests probe (and close) it within one health-check interval of a recovery.
   */
  onHealthProbeSuccess(now: number): CircuitTransition | undefined {
    if (this.state !== 'open') return undefined;
    this.probeExpiries.length = 0;
    this.consecutiveSuccesses = 0;
    return this.moveTo('half_open', 'health_probe_succeeded', now);
  }

  /** Forces the circuit closed (an operator's reset), clearing counters and back-off. */
  reset(now: number): CircuitTransition | undefined {
    this.consecutiveFailures = 0;
    this.consecutiveSuccesses = 0;
    this.consecutiveOpenings = 0;
    this.probeExpiries.length = 0;
    return this.state === 'closed' ? undefined : this.moveTo('closed', 'manual_reset', now);
  }

  /** True when a half-open circuit has a free probe slot (expired slots are dropped). */
  hasFreeProbeSlot(now: number): boolean {
    const expiries = this.probeExpiries;
    while (expiries.length > 0 && (expiries[0] as number) <= now) {
      expiries.shift();
      this.probeGate?.probeFinished();
    }
    const cap = this.config().halfOpenMaxProbes;
    const gate = this.probeGate;
    if (gate === undefined) return expiries.length < cap;
    if (expiries.length < Math.min(cap, gate.permits)) return true;
    if (expiries.length < cap) gate.want();
    return false;
  }

  /** Takes a probe slot when the circuit is half-open; a no-op otherwise. */
  takeProbeSlot(now: number): void {
    this.tryTakeProbeSlot(now);
  }

  /** Takes a probe slot when the circuit is half-open; returns whether one was taken. */
  tryTakeProbeSlot(now: number): boolean {
    if (this.state !== 'half_open') return false;
    this.probeExpiries.push(now + this.currentOpenTimeoutMs());
    this.probeGate?.probeStarted();
    return true;
  }

  /** Frees the oldest probe slot, if any (a result arrived). */
  releaseProbeSlot(): void {
    if (this.probeExpiries.shift() !== undefined) this.probeGate?.probeFinished();
  }

  private open(now: number, reason: CircuitTransitionReason): CircuitTransition {
    this.openedAt = now;
    this.consecutiveOpenings += 1;
    this.consecutiveSuccesses = 0;
    this.probeExpiries.length = 0;
    return this.moveTo('open', reason, now);
  }

  private moveTo(to: CircuitState, reason: CircuitTransitionReason, now: number): CircuitTransition {
    const from = this.state;
    if (from === 'half_open' || to === 'half_open') this.probeGate?.reset();
    this.state = to;
    this.lastStateChange = now;
    this.openReason = to === 'closed' ? null : reason;
    return { from, to, reason };
  }
}
