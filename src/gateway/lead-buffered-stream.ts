/**
 * Moves the commit point of an item stream past its lifecycle events: a Responses stream opens
 * with `response.created` / `response.in_progress` before any output, and a stream routed with
 * `router.callStream` is committed to its provider at its first item. Holding those leading
 * items back until the first item with output lets the router still fall back when a provider
 * announces a response and then fails or stalls.
 */

/** Leading items held back at most; past it the stream is handed on as it is. */
export const MAX_LEAD_ITEMS = 16;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * An async iterable over `upstream` whose first `next()` resolves only once an item that is not
 * a lead item arrived (or the upstream ended, or `MAX_LEAD_ITEMS` lead items came): it then
 * hands out the held items in order, then the rest. A failure while holding rejects the first
 * `next()`. `return()` releases the upstream.
 *
 * @example
 * ```ts
 * return new LeadBufferedStream(await adapter.responsesStream(request), (event) => event.value.type === 'response.created');
 * ```
 */
export class LeadBufferedStream<Item> implements AsyncIterable<Item>, AsyncIterator<Item, undefined> {
  readonly #upstream: AsyncIterator<Item>;
  readonly #isLead: (item: Item) => boolean;
  readonly #held: Item[] = [];
  #filled = false;
  #ended = false;

  constructor(upstream: AsyncIterable<Item>, isLead: (item: Item) => boolean) {
    this.#upstream = upstream[Symbol.asyncIterator]();
    this.#isLead = isLead;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Item, undefined>> {
    if (!this.#filled) {
      this.#filled = true;
      while (this.#held.length < MAX_LEAD_ITEMS) {
        const result = await this.#upstream.next();
        if (result.done === true) {
          this.#ended = true;
          break;
        }
        this.#held.push(result.value);
        if (!this.#isLead(result.value)) break;
      }
    }
    if (this.#held.length > 0) return { done: false, value: this.#held.shift() as Item };
    if (this.#ended) return DONE;
    const result = await this.#upstream.next();
    if (result.done === true) {
      this.#ended = true;
      return DONE;
    }
    return result;
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    this.#filled = true;
    this.#ended = true;
    this.#held.length = 0;
    await this.#upstream.return?.();
    return DONE;
  }
}
