/** Where fleet-wide half-open probe permits come from (a `SharedStateBackend` is one). */
export interface ProbePermitSource {
  /** Takes one of at most `max` permits for `key`, held for `leaseMs`; undefined when all are taken. */
  acquireProbePermit(key: string, max: number, leaseMs: number): Promise<string | undefined>;
  /** Gives a permit back. */
  releaseProbePermit(key: string, permit: string): void;
}

/** A held permit nobody probes under is given back after this long, so an idle replica does not block the fleet. */
export const IDLE_PERMIT_MS = 1_000;

/**
 * The fleet-wide cap of one half-open circuit: this replica runs a probe only under a permit it
 * holds (at most `halfOpenMaxProbes` across the fleet). Selection stays synchronous: a replica
 * without a permit skips the circuit (`half_open_probes_busy`) and asks for one in the
 * background; the next request finds it. A permit goes back when its probe ends, when the
 * circuit leaves half-open, or after `IDLE_PERMIT_MS` unused.
 */
export class FleetProbeGate {
  private readonly held: string[] = [];
  private pending = false;
  private epoch = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param max the fleet-wide cap (read at each request); `leaseMs` how long a permit is held
   * at most; `inUse` the probes the circuit runs now.
   */
  constructor(
    private readonly source: ProbePermitSource,
    private readonly key: string,
    private readonly max: () => number,
    private readonly leaseMs: () => number,
    private readonly inUse: () => number,
  ) {}

  /** Permits held: the probes this replica may run at once. */
  get permits(): number {
    return this.held.length;
  }

  /** Asks for one more permit in the background (one request at a time). */
  want(): void {
    if (this.pending || this.held.length >= this.max()) return;
    this.pending = true;
    const epoch = this.epoch;
    this.source.acquireProbePermit(this.key, this.max(), this.leaseMs()).then(
      (permit) => {
        this.pending = false;
        if (permit === undefined) return;
        if (epoch !== this.epoch) {
          this.source.releaseProbePermit(this.key, permit);
          return;
        }
        this.held.push(permit);
        this.armIdleRelease();
      },
      () => {
        this.pending = false;
      },
    );
  }

  /** A probe started under a held permit. */
  probeStarted(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** A probe ended (result, release or expiry): its permit goes back to the fleet. */
  probeFinished(): void {
    const permit = this.held.shift();
    if (permit !== undefined) this.source.releaseProbePermit(this.key, permit);
  }

  /** The circuit entered or left half-open: every permit goes back, late grants are refused. */
  reset(): void {
    this.epoch += 1;
    this.probeStarted();
    for (const permit of this.held.splice(0)) this.source.releaseProbePermit(this.key, permit);
  }

  private armIdleRelease(): void {
    if (this.idleTimer !== undefined) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      while (this.held.length > this.inUse()) this.source.releaseProbePermit(this.key, this.held.pop()!);
    }, IDLE_PERMIT_MS);
    this.idleTimer.unref?.();
  }
}
