/**
 * Anthropic Messages SSE events → OpenAI `chat.completion.chunk`s, one translator per stream:
 * `message_start` → the role chunk; `content_block_start` of a `tool_use` → a tool-call chunk
 * with id and name; `content_block_delta` → content (`text_delta`) or tool-call arguments
 * (`input_json_delta`); `message_delta` → the finish-reason chunk; `message_stop` → the usage
 * chunk (when the client asked `stream_options.include_usage`) and the end (also a clean end of
 * the body after the `message_delta` with the stop reason); `ping` is a keep-alive (not progress)
 * and unknown events are skipped; an `error` event throws a `ProviderError` with the status its
 * type stands for (`overloaded_error` → 529, retryable).
 */
import type { ChatCompletionChunk, FinishReason } from '../../src/contract/chat-types.ts';
import { statusOfAnthropicErrorType } from './anthropic-error-types.ts';
import { PrefillJoiner } from './anthropic-prefill.ts';
import { finishReasonOf, promptTokensOf, usageOf } from './anthropic-translate-response.ts';
import { truncateMessage } from '../http/http-error.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';
import type { SseChunkOutput, SseChunkTranslator } from '../http/sse-chunk-stream.ts';
import type { SseEvent } from '../http/sse-parser.ts';

type Delta = ChatCompletionChunk['choices'][number]['delta'];

/** One Anthropic stream event as parsed; each case narrows the fields it reads. */
interface AnthropicStreamEvent {
  type?: string;
  index?: number;
  [field: string]: unknown;
}

/** What the stream translator needs to know about the request. */
export interface AnthropicStreamSettings {
  provider: string;
  /** Used as the chunks' `model` until `message_start` names the upstream's. */
  model: string;
  /** Emit a final chunk with `usage` (OpenAI's `stream_options.include_usage`). */
  includeUsage: boolean;
  /** Unix seconds stamped on every chunk. */
  created: number;
  /** Whitespace trimmed off an assistant prefill, dropped from the start of the continuation (see `trimPrefill`). */
  prefillTrimmed?: string;
  /** The tool carrying a `response_format` answer: its input streams out as content. */
  structuredTool?: string | undefined;
}

/**
 * The translator of one Anthropic stream; every chunk carries the same id, created and model.
 *
 * @example
 * ```ts
 * const translator = new AnthropicChunkTranslator({ provider: 'claude', model: 'claude-sonnet-4-5', includeUsage: true, created: Math.floor(Date.now() / 1000) });
 * new SseChunkStream(call, body, translator);
 * ```
 */
export class AnthropicChunkTranslator implements SseChunkTranslator<ChatCompletionChunk> {
  readonly #provider: string;
  readonly #includeUsage: boolean;
  readonly #created: number;
  #id = '';
  #model: string;
  /** Tool-call index (OpenAI) of each content block index (Anthropic); -1 for non-tool blocks. */
  readonly #toolIndexOfBlock: number[] = [];
  #toolCount = 0;
  #inputTokens = 0;
  #outputTokens = 0;
  /** The stop reason arrived (`message_delta`): the answer is whole even if `message_stop` never comes. */
  #stopped = false;
  readonly #prefill: PrefillJoiner | undefined;
  readonly #structuredTool: string | undefined;
  /** A structured answer is being streamed: its block's index, -1 before. */
  #structuredBlock = -1;

  constructor(settings: AnthropicStreamSettings) {
    this.#structuredTool = settings.structuredTool;
    this.#provider = settings.provider;
    const trimmed = settings.prefillTrimmed;
    this.#prefill = trimmed !== undefined && trimmed.length > 0 ? new PrefillJoiner(trimmed) : undefined;
    this.#includeUsage = settings.includeUsage;
    this.#created = settings.created;
    this.#model = settings.model;
  }

  translate(event: SseEvent, output: SseChunkOutput<ChatCompletionChunk>): boolean {
    const data = JSON.parse(event.data) as AnthropicStreamEvent;
    switch (data.type) {
      case 'message_start': {
        const message = data.message as
          { id?: string; model?: string; usage?: { input_tokens?: number; output_tokens?: number } } | undefined;
        if (message === undefined || typeof message.id !== 'string')
          throw new TypeError('message_start without a message id');
        this.#id = message.id;
        if (typeof message.model === 'string' && message.model.length > 0) this.#model = message.model;
        this.#inputTokens = promptTokensOf(message.usage);
        this.#outputTokens = message.usage?.output_tokens ?? 0;
        output.push(this.#chunk({ role: 'assistant', content: '' }, null));
        return false;
      }
      case 'content_block_start': {
        const block = data.content_block as { type: string; id?: string; name?: string; text?: string };
        const index = data.index as number;
        if (block.type === 'tool_use' && block.name === this.#structuredTool) {
          this.#toolIndexOfBlock[index] = -2;
          this.#structuredBlock = index;
        } else if (block.type === 'tool_use') {
          const toolIndex = this.#toolCount++;
          this.#toolIndexOfBlock[index] = toolIndex;
          output.push(
            this.#chunk(
              {
                tool_calls: [
                  { index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
                ],
              },
              null,
            ),
          );
        } else {
          this.#toolIndexOfBlock[index] = -1;
          if (
            block.type === 'text' &&
            typeof block.text === 'string' &&
            block.text.length > 0 &&
            this.#structuredTool === undefined
          )
            output.push(this.#chunk({ content: this.#text(block.text) }, null));
        }
        return false;
      }
      case 'content_block_delta': {
        const delta = data.delta as { type: string; text?: string; partial_json?: string };
        if (delta.type === 'text_delta') {
          // A structured answer's preamble is not part of it.
          if (this.#structuredTool === undefined)
            output.push(this.#chunk({ content: this.#text(delta.text ?? '') }, null));
        } else if (delta.type === 'input_json_delta' && data.index === this.#structuredBlock) {
          if (delta.partial_json !== undefined && delta.partial_json.length > 0)
            output.push(this.#chunk({ content: delta.partial_json }, null));
        } else if (delta.type === 'input_json_delta') {
          const toolIndex = this.#toolIndexOfBlock[data.index as number];
          if (toolIndex === undefined || toolIndex < 0)
            throw new TypeError(`input_json_delta for block ${String(data.index)}, which is not a tool_use block`);
          if (delta.partial_json !== undefined && delta.partial_json.length > 0) {
            output.push(
              this.#chunk({ tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] }, null),
            );
          }
        }
        // thinking_delta, signature_delta, citations_delta: nothing in OpenAI's chunk shape.
        return false;
      }
      case 'message_delta': {
        const usage = data.usage as
          | {
              input_tokens?: number | null;
              output_tokens?: number;
              cache_read_input_tokens?: number | null;
              cache_creation_input_tokens?: number | null;
            }
          | undefined;
        if (usage !== undefined) {
          if (typeof usage.output_tokens === 'number') this.#outputTokens = usage.output_tokens;
          if (typeof usage.input_tokens === 'number') this.#inputTokens = promptTokensOf(usage);
        }
        const stopReason = (data.delta as { stop_reason?: string | null } | undefined)?.stop_reason;
        if (stopReason !== undefined && stopReason !== null) {
          this.#stopped = true;
          const finishReason = finishReasonOf(stopReason);
          const structuredOnly = this.#structuredBlock !== -1 && this.#toolCount === 0 && finishReason === 'tool_calls';
          output.push(this.#chunk({}, structuredOnly ? 'stop' : finishReason));
        }
        return false;
      }
      case 'message_stop':
        this.#pushUsage(output);
        return true;
      case 'error': {
        const error = (data.error ?? {}) as { type?: string; message?: string };
        const status = statusOfAnthropicErrorType(error.type);
        const message = truncateMessage(error.message ?? error.type ?? 'error event');
        throw new ProviderError(`${this.#provider}: upstream sent an error mid-stream: ${message}`, {
          kind: 'http',
          provider: this.#provider,
          status,
          code: error.type,
          body: { error: { message, type: error.type ?? 'api_error', param: null, code: null } },
        });
      }
      default:
        // content_block_stop, ping, and event types added later carry nothing to forward.
        return false;
    }
  }

  /** Anthropic's keep-alive: not progress. */
  isKeepAlive(event: SseEvent): boolean {
    return event.event === 'ping';
  }

  /** The body ended without `message_stop`: whole once the stop reason came (the usage chunk is added then). */
  completeAtEnd(output: SseChunkOutput<ChatCompletionChunk>): boolean {
    if (!this.#stopped) return false;
    this.#pushUsage(output);
    return true;
  }

  #pushUsage(output: SseChunkOutput<ChatCompletionChunk>): void {
    if (!this.#includeUsage) return;
    output.push({
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
      choices: [],
      usage: usageOf(this.#inputTokens, this.#outputTokens),
    });
  }

  #text(text: string): string {
    return this.#prefill === undefined ? text : this.#prefill.text(text);
  }

  #chunk(delta: Delta, finishReason: FinishReason): ChatCompletionChunk {
    return {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    };
  }
}
