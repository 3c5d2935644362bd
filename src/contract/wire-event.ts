/**
 * One server-sent event of a pass-through stream (Anthropic Messages, OpenAI Responses), kept
 * as the upstream sent it so the gateway forwards the same `event:` name and `data:` text.
 */
export interface WireEvent<Value = unknown> {
  /** The SSE `event:` name; empty when the upstream sent none. */
  readonly event: string;
  /** The `data:` text exactly as received. */
  readonly data: string;
  /** `data` parsed as JSON. */
  readonly value: Value;
}

/** A started stream of wire events; same contract as `ChatStream` (resolves on 2xx, throws `ProviderError`s). */
export type WireEventStream<Value = unknown> = AsyncIterable<WireEvent<Value>>;
