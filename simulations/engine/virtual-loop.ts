import { setImmediate as nextMacrotask } from 'node:timers/promises';

/**
 * Promise reactions let run after each event before the next one: deeper than any chain in a
 * routed call (adapter → attempt → fallback loop → caller), far cheaper than a macrotask per event.
 */
const MICROTASK_TURNS = 24;

/** A scheduled callback of the virtual loop; `cancel()` stops it from running. */
export interface VirtualTimer {
  readonly at: number;
  cancel(): void;
}

interface Entry extends VirtualTimer {
  readonly sequence: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A discrete-event loop on virtual time: callbacks run in time order (ties in scheduling
 * order), and after each one every promise reaction it caused runs before the next, so async
 * code (the router's routed calls) behaves as on a real clock that jumps from event to event.
 * No sleeps: an hour of traffic takes as long as its events take to compute.
 */
export class VirtualLoop {
  #now: number;
  #sequence = 0;
  readonly #heap: Entry[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  /** The virtual time, ms. */
  now = (): number => this.#now;

  /** Runs `callback` `delayMs` from now (at least now). */
  schedule(delayMs: number, callback: () => void): VirtualTimer {
    const entry: Entry = {
      at: this.#now + Math.max(0, delayMs),
      sequence: this.#sequence++,
      callback,
      cancelled: false,
      cancel() {
        entry.cancelled = true;
      },
    };
    this.#push(entry);
    return entry;
  }

  /** `setTimeout` / `clearTimeout` on virtual time, for code that takes injectable timers. */
  readonly timers = {
    setTimeout: (callback: () => void, delayMs: number): VirtualTimer => this.schedule(delayMs, callback),
    clearTimeout: (timer: VirtualTimer | undefined): void => timer?.cancel(),
  };

  /** Runs events until none is left or the next is later than `until`; resolves when done. */
  async run(until = Number.POSITIVE_INFINITY): Promise<void> {
    for (;;) {
      let entry = this.#pop();
      if (entry === undefined) {
        // Nothing scheduled: let any straggling reaction run, and stop only if it scheduled nothing.
        await nextMacrotask();
        entry = this.#pop();
        if (entry === undefined) return;
      }
      if (entry.cancelled) continue;
      if (entry.at > until) {
        this.#push(entry);
        return;
      }
      this.#now = entry.at;
      entry.callback();
      // The promise reactions the callback set off run before the next event.
      for (let turn = 0; turn < MICROTASK_TURNS; turn += 1) await null;
    }
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(entry, heap[parent] as Entry)) break;
      heap[index] = heap[parent] as Entry;
      index = parent;
    }
    heap[index] = entry;
  }

  #pop(): Entry | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as Entry, heap[left] as Entry) ? right : left;
      if (!before(heap[child] as Entry, last)) break;
      heap[index] = heap[child] as Entry;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}

function before(left: Entry, right: Entry): boolean {
  return left.at < right.at || (left.at === right.at && left.sequence < right.sequence);
}
