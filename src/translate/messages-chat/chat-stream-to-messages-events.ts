/**
 * A stream of OpenAI `chat.completion.chunk`s → the Anthropic Messages stream events
 * (`message_start`, `content_block_start` / `_delta` / `_stop`, `message_delta`, `message_stop`),
 * for `/v1/messages` streamed from a provider that speaks Chat Completions.
 */
import type { ChatCompletionChunk, ChatUsage } from '../../contract/chat-types.ts';
import type { MessagesStreamEvent } from '../../contract/messages-types.ts';
import { ChunkTranslatingStream } from '../chunk-translating-stream.ts';
import { messageIdOf, stopReasonOf } from './chat-to-messages-response.ts';

/**
 * Translates a chat chunk stream lazily: each `next()` pulls upstream chunks until there are
 * events to hand out, so the first event (`message_start`) exists only once the upstream's first
 * chunk does (the router can still fall back before it). Text deltas open a text block, each
 * tool call a `tool_use` block with its arguments as `input_json_delta`s; the finish reason and
 * the usage (the usage-only chunk the gateway asks for) go into the closing `message_delta`.
 * `return()` releases the upstream stream.
 *
 * @example
 * ```ts
 * for await (const event of new ChatStreamToMessagesEvents(await adapter.stream(chatRequest), 'gpt-4o-mini')) write(event);
 * ```
 */
export class ChatStreamToMessagesEvents extends ChunkTranslatingStream<MessagesStreamEvent> {
  readonly #model: string;
  #started = false;
  /** Index of the open content block, -1 when none is open. */
  #openBlock = -1;
  #openKind: 'text' | 'tool' | undefined;
  #nextBlock = 0;
  /** Content block index of each OpenAI tool-call index. */
  readonly #blockOfTool = new Map<number, number>();
  #stopReason: string | null = null;
  #usage: ChatUsage | undefined;

  constructor(upstream: AsyncIterable<ChatCompletionChunk>, model: string) {
    super(upstream);
    this.#model = model;
  }

  protected translate(chunk: ChatCompletionChunk): void {
    if (!this.#started) {
      this.#started = true;
      this.#emit({
        type: 'message_start',
        message: {
          id: messageIdOf(chunk.id),
          type: 'message',
          role: 'assistant',
          model: chunk.model || this.#model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: chunk.usage?.prompt_tokens ?? 0, output_tokens: 0 },
        },
      });
    }
    if (chunk.usage) this.#usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (choice === undefined) return;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content.length > 0) {
      if (this.#openKind !== 'text') this.#open('text', { type: 'text', text: '' });
      this.#emit({
        type: 'content_block_delta',
        index: this.#openBlock,
        delta: { type: 'text_delta', text: delta.content },
      });
    }
    for (const toolCall of delta.tool_calls ?? []) {
      let block = this.#blockOfTool.get(toolCall.index);
      if (block === undefined) {
        this.#open('tool', {
          type: 'tool_use',
          id: toolCall.id ?? `toolu_${toolCall.index}`,
          name: toolCall.function?.name ?? '',
          input: {},
        });
        block = this.#openBlock;
        this.#blockOfTool.set(toolCall.index, block);
      }
      const partial = toolCall.function?.arguments;
      if (typeof partial === 'string' && partial.length > 0) {
        this.#emit({
          type: 'content_block_delta',
          index: block,
          delta: { type: 'input_json_delta', partial_json: partial },
        });
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined)
      this.#stopReason = stopReasonOf(choice.finish_reason);
  }

  #open(kind: 'text' | 'tool', block: Record<string, unknown>): void {
    this.#closeBlock();
    this.#openBlock = this.#nextBlock++;
    this.#openKind = kind;
    this.#emit({ type: 'content_block_start', index: this.#openBlock, content_block: block });
  }

  #closeBlock(): void {
    if (this.#openBlock === -1) return;
    this.#emit({ type: 'content_block_stop', index: this.#openBlock });
    this.#openBlock = -1;
    this.#openKind = undefined;
  }

  protected finish(): void {
    if (!this.#started) return;
    this.#closeBlock();
    const usage: Record<string, number> = { output_tokens: this.#usage?.completion_tokens ?? 0 };
    if (this.#usage !== undefined) usage.input_tokens = this.#usage.prompt_tokens;
    this.#emit({
      type: 'message_delta',
      delta: { stop_reason: this.#stopReason ?? 'end_turn', stop_sequence: null },
      usage,
    });
    this.#emit({ type: 'message_stop' });
  }

  #emit(value: MessagesStreamEvent): void {
    this.push({ event: value.type, data: JSON.stringify(value), value });
  }
}
