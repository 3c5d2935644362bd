/** Injectable timers (the router's; virtual ones in the simulator). */
export interface RouterTimers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process's timers; a hedge timer never keeps the process alive. */
export const SYSTEM_TIMERS: RouterTimers = {
  setTimeout: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One attempt of a race: its outcome and how to stop it. */
export interface RaceEntrant<Result> {
  readonly promise: Promise<Result>;
  /** Stops the attempt (its upstream request is aborted); its promise then settles on its own. */
  cancel(): void;
}

/** How a hedged race runs. */
export interface HedgedRaceOptions<Result> {
  /** Starts the first attempt. */
  first: () => RaceEntrant<Result>;
  /** Starts one more attempt elsewhere, or undefined when none may start now (no provider, no budget). */
  hedge: () => RaceEntrant<Result> | undefined;
  /** How long the attempts under way may go without a result before the next starts, ms. */
  delayMs: number;
  /** Extra attempts at most. */
  max: number;
  timers: RouterTimers;
  /** A result that arrived after the winner's (a stream to close). */
  discard: (result: Result) => void;
}

/**
 * Runs an attempt and, while no attempt has produced its result (a first token, or a whole
 * answer) after `delayMs`, starts up to `max` more on other providers. The first result wins
 * and every other attempt is cancelled; a failed attempt leaves the others running, and the
 * race fails with the last failure only when every attempt has failed.
 */
export function runHedgedRace<Result>(options: HedgedRaceOptions<Result>): Promise<Result> {
  return new Promise<Result>((resolve, reject) => {
    const running = new Set<RaceEntrant<Result>>();
    let settled = false;
    let started = 0;
    let timer: unknown;
    let lastError: unknown;

    const disarm = () => {
      if (timer !== undefined) options.timers.clearTimeout(timer);
      timer = undefined;
    };
    const arm = () => {
      if (started - 1 < options.max) timer = options.timers.setTimeout(onDelay, options.delayMs);
    };
    const enter = (entrant: RaceEntrant<Result>) => {
      started += 1;
      running.add(entrant);
      entrant.promise.then(
        (result) => {
          running.delete(entrant);
          if (settled) return options.discard(result);
          settled = true;
          disarm();
          for (const other of running) other.cancel();
          resolve(result);
        },
        (error: unknown) => {
          running.delete(entrant);
          if (settled) return;
          lastError = error;
          if (running.size > 0) return;
          settled = true;
          disarm();
          reject(lastError);
        },
      );
    };
    function onDelay(): void {
      timer = undefined;
      if (settled || running.size === 0) return;
      const entrant = options.hedge();
      if (entrant === undefined) return;
      enter(entrant);
      arm();
    }

    enter(options.first());
    if (!settled) arm();
  });
}
