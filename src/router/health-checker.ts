import type { ProviderRecord } from './provider-record.ts';

/** What the health checker needs from the router. */
export interface HealthCheckTarget {
  /** The records to probe, read at every tick so added/removed providers are followed. */
  records(): Iterable<ProviderRecord>;
  /** Applies one probe's outcome to the provider's health and circuit; `failure` says why it failed. */
  applyProbeResult(record: ProviderRecord, healthy: boolean, failure?: string): void;
}

/**
 * Periodic active health probes. Every `intervalMs` (none at start) each provider with a
 * `healthCheck` is probed concurrently with its own timeout; a provider whose previous probe
 * is still running is skipped, so probes never pile up. `stop()` aborts running probes and
 * returns at once, without waiting for a probe that ignores its signal.
 */
export class HealthChecker {
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Probes under way: their abort controllers and timeout timers. */
  private readonly running = new Map<AbortController, ReturnType<typeof setTimeout>>();
  private readonly target: HealthCheckTarget;
  private timeoutMs: number;

  constructor(target: HealthCheckTarget, timeoutMs: number) {
    this.target = target;
    this.timeoutMs = timeoutMs;
  }

  /** Changes the timeout of probes started from now on. */
  setTimeoutMs(timeoutMs: number): void {
    this.timeoutMs = timeoutMs;
  }

  /** True while the periodic timer runs. */
  get isRunning(): boolean {
    return this.timer !== undefined;
  }

  /** Starts (or restarts with a new interval) the periodic probing. The timer does not keep the process alive. */
  start(intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`health check interval must be > 0 ms, got ${intervalMs}`);
    this.stopTimer();
    this.timer = setInterval(() => void this.checkAll(), intervalMs);
    this.timer.unref?.();
  }

  /** Stops the timer and aborts probes under way; resolves without waiting for them. */
  stop(): Promise<void> {
    this.stopTimer();
    const running = [...this.running];
    this.running.clear();
    for (const [controller, timeout] of running) {
      clearTimeout(timeout);
      controller.abort(new Error('health checker stopped'));
    }
    return Promise.resolve();
  }

  /** Probes every provider once, concurrently; resolves when all probes settled or timed out. */
  async checkAll(): Promise<void> {
    const probes: Promise<void>[] = [];
    for (const record of this.target.records()) {
      if (record.adapter.healthCheck !== undefined && !record.probing) probes.push(this.probe(record));
    }
    await Promise.all(probes);
  }

  private async probe(record: ProviderRecord): Promise<void> {
    const controller = new AbortController();
    const timeout = setTimeout(
      () => controller.abort(new Error(`health check timed out after ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    this.running.set(controller, timeout);
    record.probing = true;
    const timedOut = new Promise<boolean>((resolve) => {
      controller.signal.addEventListener('abort', () => resolve(false), { once: true });
    });
    let healthy: boolean;
    let failure: string | undefined;
    try {
      healthy = await Promise.race([
        record.adapter.healthCheck!(controller.signal).then((value) => value === true),
        timedOut,
      ]);
      if (!healthy)
        failure = controller.signal.aborted
          ? `health check timed out after ${this.timeoutMs} ms`
          : 'the health check answered unhealthy';
    } catch (error) {
      healthy = false;
      failure = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timeout);
      record.probing = false;
    }
    const stopped = !this.running.delete(controller);
    if (!stopped) this.target.applyProbeResult(record, healthy, failure);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
