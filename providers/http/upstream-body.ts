/**
 * The contract between a streamed upstream body and its one consumer, without a `Readable`:
 * the source pushes bytes, the end and errors into a sink, and the sink pulls the brakes
 * (pause, resume) or stops the response (abort). `StreamingResponseHandler` is the source
 * (undici's dispatch handler), `SseChunkStream` the sink.
 */

/** Receives a streamed body. Each method is called by the source only, in order, never after `onEnd` or `onError`. */
export interface UpstreamBodySink {
  /** One body chunk, as it came off the socket. */
  onBytes(bytes: Buffer): void;
  /** The body is complete. */
  onEnd(): void;
  /** The body failed: the transport error, or the reason the request was aborted with. */
  onError(error: unknown): void;
}

/**
 * A streamed body that is pushed into one sink. Pausing really stops reading from the socket
 * (so the upstream sees back-pressure); aborting closes the upstream request.
 */
export interface UpstreamBodySource {
  /**
   * Starts delivering into `sink`: what arrived before is handed over at once (synchronously),
   * then chunks as they come. Call once.
   */
  attach(sink: UpstreamBodySink): void;
  /** Stops reading until `resume()`; takes effect after the chunk being delivered. */
  pause(): void;
  /** Reads again; chunks already received may be delivered synchronously, before it returns. */
  resume(): void;
  /** Stops the response and closes its socket (no-op once the body completed or failed); the sink hears of it through `onError`. */
  abort(reason: unknown): void;
}
