import type { WireEvent } from '../contract/wire-event.ts';
import type { EndpointOutcome } from './endpoint-handler.ts';
import { SSE_HEADERS } from './sse-headers.ts';
import { CLIENT_CLOSED_STATUS } from './map-routing-error.ts';
import type { GatewayError } from './openai-error.ts';
import type { ResponseSink } from './response-sink.ts';

/** What `writeWireStream` asks of its endpoint. */
export interface WireStreamHooks<Value> {
  /** Sees every event before it is written (usage counting). */
  observe(event: WireEvent<Value>): void;
  /** The SSE event that ends a stream failing after its first event, in the endpoint's shape. */
  errorEvent(error: unknown): { event: string; data: string; mapped: GatewayError };
}

/**
 * Writes a routed stream of wire events as SSE (`event:` name when there is one, `data:` text
 * as received), waiting for the socket to drain when it must. A failure after the first event
 * ends the stream with the endpoint's error event; a client gone releases the upstream.
 */
export async function writeWireStream<Value>(
  sink: ResponseSink,
  stream: AsyncIterable<WireEvent<Value>>,
  headers: Record<string, string>,
  outcome: EndpointOutcome,
  hooks: WireStreamHooks<Value>,
): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]();
  if (sink.closed) {
    outcome.status = CLIENT_CLOSED_STATUS;
    await iterator.return?.();
    return;
  }
  sink.writeHead(200, { ...SSE_HEADERS, ...headers });
  outcome.status = 200;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      const event = next.value;
      hooks.observe(event);
      if (sink.closed) break;
      const pending = sink.write(
        event.event === '' ? `data: ${event.data}\n\n` : `event: ${event.event}\ndata: ${event.data}\n\n`,
      );
      if (pending !== undefined) await pending;
    }
  } catch (error) {
    if (sink.closed) {
      outcome.status = CLIENT_CLOSED_STATUS;
      return;
    }
    const { event, data, mapped } = hooks.errorEvent(error);
    outcome.status = mapped.status;
    outcome.errorCode = mapped.code;
    sink.write(`event: ${event}\ndata: ${data}\n\n`);
    sink.end();
    return;
  }
  if (sink.closed) {
    outcome.status = CLIENT_CLOSED_STATUS;
    await iterator.return?.();
    return;
  }
  sink.end();
}
