/**
 * SSE events of a pass-through stream (Anthropic Messages, OpenAI Responses) → `WireEvent`s
 * holding the event name, the `data:` text as received and its parsed JSON, so the gateway
 * forwards the upstream's events unchanged. The protocol decides which event ends the stream
 * and which is an error.
 */
import { ProviderError } from '../../src/contract/provider-error.ts';
import type { WireEvent } from '../../src/contract/wire-event.ts';
import type { SseChunkOutput, SseChunkTranslator } from './sse-chunk-stream.ts';
import type { SseEvent } from './sse-parser.ts';

/** What a pass-through protocol says about its events. */
export interface WireProtocol {
  /** True for the event that ends the stream (`message_stop`, `response.completed`…). */
  isEnd(type: string | undefined, event: SseEvent): boolean;
  /** The failure an error event stands for, or undefined for an ordinary event. */
  errorOf(type: string | undefined, value: Record<string, unknown>, provider: string): ProviderError | undefined;
}

/**
 * Translator of one pass-through stream: every event is handed on as received (its JSON
 * parsed once, for the gateway's usage counting); `[DONE]` or the protocol's end event ends
 * the stream; an error event throws its `ProviderError`, so before the first event the router
 * falls back and after it the gateway ends the stream with an error event.
 *
 * @example
 * ```ts
 * new SseChunkStream(call, body, new WireEventTranslator('claude', anthropicWireProtocol));
 * ```
 */
export class WireEventTranslator implements SseChunkTranslator<WireEvent> {
  readonly #provider: string;
  readonly #protocol: WireProtocol;

  constructor(provider: string, protocol: WireProtocol) {
    this.#provider = provider;
    this.#protocol = protocol;
  }

  translate(event: SseEvent, output: SseChunkOutput<WireEvent>): boolean {
    const data = event.data;
    if (data === '[DONE]') return true;
    const value: unknown = JSON.parse(data);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new TypeError('expected a JSON object in a stream event');
    const record = value as Record<string, unknown>;
    const type = typeof record.type === 'string' ? record.type : event.event || undefined;
    const error = this.#protocol.errorOf(type, record, this.#provider);
    if (error !== undefined) throw error;
    output.push({ event: event.event, data, value });
    return this.#protocol.isEnd(type, event);
  }
}
