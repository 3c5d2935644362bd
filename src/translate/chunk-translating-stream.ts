import type { ChatCompletionChunk } from '../contract/chat-types.ts';
import type { WireEvent, WireEventStream } from '../contract/wire-event.ts';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A lazy translation of a chat chunk stream into another protocol's wire events: each `next()`
 * pulls upstream chunks until `translate` or `finish` queued events, so nothing exists before the
 * upstream's first chunk does; `return()` releases the upstream. Subclasses say what a chunk and the end become.
 */
export abstract class ChunkTranslatingStream<Event> implements WireEventStream<Event>, AsyncIterator<WireEvent<Event>> {
  readonly #upstream: AsyncIterator<ChatCompletionChunk>;
  readonly #queue: Array<WireEvent<Event>> = [];
  #finished = false;

  constructor(upstream: AsyncIterable<ChatCompletionChunk>) {
    this.#upstream = upstream[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<WireEvent<Event>, undefined>> {
    while (this.#queue.length === 0) {
      if (this.#finished) return DONE;
      const result = await this.#upstream.next();
      if (result.done === true) {
        this.#finished = true;
        this.finish();
      } else {
        this.translate(result.value);
      }
    }
    return { done: false, value: this.#queue.shift() as WireEvent<Event> };
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    this.#finished = true;
    this.#queue.length = 0;
    await this.#upstream.return?.();
    return DONE;
  }

  /** Queues the events one upstream chunk becomes. */
  protected abstract translate(chunk: ChatCompletionChunk): void;

  /** Queues the closing events once the upstream ended. */
  protected abstract finish(): void;

  /** Queues one event for the client. */
  protected push(event: WireEvent<Event>): void {
    this.#queue.push(event);
  }
}
