/**
 * OpenAI-compatible SSE events → chunks: every `data:` line is one JSON chunk, forwarded as
 * parsed, with its text kept beside it by the stream (`ChunkTextSource`) so the gateway need
 * not serialise it again; `data: [DONE]` ends the stream, and so does a clean end of the body
 * once every choice got its finish_reason. An in-stream `{ "error": … }` object (sent by
 * several OpenAI-compatible servers) becomes a `ProviderError`; anything not a JSON object is
 * malformed (skipped and counted by the stream).
 */
import type { ChatCompletionChunk } from '../../src/contract/chat-types.ts';
import { errorBodyFromText } from '../http/http-error.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';
import type { SseChunkOutput, SseChunkTranslator } from '../http/sse-chunk-stream.ts';
import type { SseEvent } from '../http/sse-parser.ts';

/**
 * Translator of one OpenAI-compatible stream.
 *
 * @example
 * ```ts
 * new SseChunkStream(call, body, new OpenAIChunkTranslator('primary'));
 * ```
 */
export class OpenAIChunkTranslator implements SseChunkTranslator<ChatCompletionChunk> {
  readonly #provider: string;
  /** Per choice index: 1 while it streams, 2 once it got its finish_reason. */
  readonly #choiceStates: number[] = [];
  /** Choices seen without their finish_reason yet. */
  #unfinishedChoices = 0;

  constructor(provider: string) {
    this.#provider = provider;
  }

  translate(event: SseEvent, output: SseChunkOutput<ChatCompletionChunk>): boolean {
    const data = event.data;
    if (data === '[DONE]') return true;
    const chunk: unknown = JSON.parse(data);
    if (chunk === null || typeof chunk !== 'object' || Array.isArray(chunk)) {
      throw new TypeError(`expected a JSON object, got ${data.length > 80 ? data.slice(0, 79) + '…' : data}`);
    }
    const record = chunk as Record<string, unknown>;
    if (record.error !== undefined && record.choices === undefined) {
      const body = errorBodyFromText(data, 500);
      const status = typeof body.error.code === 'number' ? body.error.code : undefined;
      throw new ProviderError(`${this.#provider}: upstream sent an error mid-stream: ${body.error.message}`, {
        kind: status !== undefined && status >= 400 ? 'http' : 'protocol',
        provider: this.#provider,
        status,
        code: typeof body.error.type === 'string' ? body.error.type : undefined,
        body,
      });
    }
    const choices = record.choices;
    if (Array.isArray(choices)) {
      for (let index = 0; index < choices.length; index++) this.#track(choices[index]);
    }
    output.push(chunk as ChatCompletionChunk, data);
    return false;
  }

  /** The body ended without `[DONE]`: complete when every choice seen got its finish_reason. */
  completeAtEnd(): boolean {
    return this.#choiceStates.length > 0 && this.#unfinishedChoices === 0;
  }

  #track(choice: unknown): void {
    if (choice === null || typeof choice !== 'object') return;
    const { index, finish_reason: finishReason } = choice as { index?: unknown; finish_reason?: unknown };
    const position = typeof index === 'number' && index >= 0 && index < 1024 ? index : 0;
    const state = this.#choiceStates[position];
    if (state === undefined) {
      this.#choiceStates[position] = 1;
      this.#unfinishedChoices++;
    }
    if (finishReason !== null && finishReason !== undefined && state !== 2) {
      this.#choiceStates[position] = 2;
      this.#unfinishedChoices--;
    }
  }
}
