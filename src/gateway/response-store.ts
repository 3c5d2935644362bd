/**
 * What the gateway remembers of the Responses it served, so `previous_response_id` reaches the
 * provider that created that response: its provider, and for a response translated from Chat
 * Completions (a stateless provider) the whole conversation as Responses items, so the next
 * turn can be sent in full. Bounded: least recently used entries go first, past a count or a
 * byte budget; a conversation too large for its share is not kept (its turn then cannot be
 * continued by id).
 */
import type { ResponsesItem } from '../contract/responses-types.ts';

/** Default of `ResponseStoreOptions.maxEntries`. */
export const DEFAULT_MAX_STORED_RESPONSES = 10_000;
/** Default of `ResponseStoreOptions.maxBytes`: 64 MiB of kept conversations. */
export const DEFAULT_MAX_STORED_CONVERSATION_BYTES = 64 * 1024 * 1024;

/** Options of `ResponseStore`. */
export interface ResponseStoreOptions {
  /** Responses remembered at most. Default 10 000. */
  maxEntries?: number;
  /** Conversation text kept at most, in UTF-16 code units of its JSON. Default 64 MiB. */
  maxBytes?: number;
}

/** One remembered response. */
export interface StoredResponse {
  /** The provider that created it. */
  provider: string;
  /** The conversation up to and including its output, when the gateway keeps it (translated responses). */
  conversation?: readonly ResponsesItem[] | undefined;
}

interface Entry extends StoredResponse {
  size: number;
}

/**
 * A bounded LRU of response id → provider (and conversation), with an index of the kept
 * conversations' item ids for `item_reference` inputs.
 *
 * @example
 * ```ts
 * const store = new ResponseStore({ maxEntries: 1000 });
 * store.remember('resp_1', 'claude', [{ role: 'user', content: 'Hi' }, outputMessage]);
 * store.lookup('resp_1'); // { provider: 'claude', conversation: [...] }
 * ```
 */
export class ResponseStore {
  readonly #entries = new Map<string, Entry>();
  /** Item id → id of the newest kept response whose conversation holds it. */
  readonly #items = new Map<string, string>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(options: ResponseStoreOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_STORED_RESPONSES);
    this.#maxBytes = Math.max(0, options.maxBytes ?? DEFAULT_MAX_STORED_CONVERSATION_BYTES);
  }

  /** Responses remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Conversation text kept now (UTF-16 code units of its JSON). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Remembers that `provider` created response `id`, with its conversation when given. A
   * conversation over a quarter of the byte budget is not kept (only the provider is).
   */
  remember(id: string, provider: string, conversation?: readonly ResponsesItem[]): void {
    this.#delete(id);
    let size = 0;
    let kept: readonly ResponsesItem[] | undefined;
    if (conversation !== undefined) {
      size = JSON.stringify(conversation).length;
      if (size <= this.#maxBytes / 4) kept = conversation;
      else size = 0;
    }
    this.#entries.set(id, { provider, conversation: kept, size });
    this.#bytes += size;
    if (kept !== undefined) for (const item of kept) if (typeof item.id === 'string') this.#items.set(item.id, id);
    this.#evict();
  }

  /** The response `id`, marked as recently used; undefined when unknown or forgotten. */
  lookup(id: string): StoredResponse | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return { provider: entry.provider, conversation: entry.conversation };
  }

  /** A kept item by its id (an `item_reference`), with the provider of the response that holds it. */
  item(itemId: string): { item: ResponsesItem; provider: string } | undefined {
    const responseId = this.#items.get(itemId);
    if (responseId === undefined) return undefined;
    const entry = this.#entries.get(responseId);
    const item = entry?.conversation?.find((candidate) => candidate.id === itemId);
    return item === undefined || entry === undefined ? undefined : { item, provider: entry.provider };
  }

  #evict(): void {
    while (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const oldest = this.#entries.keys().next().value as string;
      this.#delete(oldest);
    }
  }

  #delete(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    this.#bytes -= entry.size;
    for (const item of entry.conversation ?? [])
      if (typeof item.id === 'string' && this.#items.get(item.id) === id) this.#items.delete(item.id);
  }
}
