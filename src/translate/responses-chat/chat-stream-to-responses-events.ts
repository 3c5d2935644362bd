/**
 * A stream of OpenAI `chat.completion.chunk`s → the Responses stream events (`response.created`,
 * `response.in_progress`, `response.output_item.added`, `response.content_part.added`,
 * `response.output_text.delta` … `.done`, `response.function_call_arguments.delta` … `.done`,
 * `response.output_item.done`, `response.completed` / `response.incomplete` with usage), for
 * `/v1/responses` streamed from a provider that speaks Chat Completions.
 */
import type { ChatCompletionChunk, ChatUsage } from '../../contract/chat-types.ts';
import type {
  ResponsesItem,
  ResponsesRequest,
  ResponsesResponse,
  ResponsesStreamEvent,
} from '../../contract/responses-types.ts';
import { ChunkTranslatingStream } from '../chunk-translating-stream.ts';
import { functionCallItem, messageItem } from './chat-to-responses-response.ts';
import { finalStatusOf, responseSkeleton, responsesUsageOf, type ResponseFrame } from './response-frame.ts';

/** An output item being streamed. */
interface OpenItem {
  outputIndex: number;
  id: string;
  kind: 'message' | 'function_call';
  /** Text so far (message) or arguments so far (function call). */
  text: string;
  callId: string;
  name: string;
  closed: boolean;
}

/**
 * Translates a chat chunk stream lazily: each `next()` pulls upstream chunks until there are
 * events to hand out, so `response.created` exists only once the upstream's first chunk does
 * (the router can still fall back before it). Text opens a `message` item with one
 * `output_text` part; each tool call a `function_call` item whose arguments arrive as deltas;
 * when the upstream ends, the open items are closed in order and the finish reason and usage
 * (the usage-only chunk the gateway asks for) go into `response.completed` (or
 * `response.incomplete`). `output` holds the finished items afterwards. `return()` releases the
 * upstream stream.
 *
 * @example
 * ```ts
 * for await (const event of new ChatStreamToResponsesEvents(await adapter.stream(chatRequest), request, newResponseFrame())) write(event);
 * ```
 */
export class ChatStreamToResponsesEvents extends ChunkTranslatingStream<ResponsesStreamEvent> {
  readonly #request: ResponsesRequest;
  readonly #frame: ResponseFrame;
  readonly #items: OpenItem[] = [];
  /** Item of each OpenAI tool-call index. */
  readonly #itemOfTool = new Map<number, OpenItem>();
  #message: OpenItem | undefined;
  #response: ResponsesResponse | undefined;
  #sequence = 0;
  #finishReason: string | null = null;
  #usage: ChatUsage | undefined;
  /** The finished output items, once the stream completed. */
  output: ResponsesItem[] = [];

  constructor(upstream: AsyncIterable<ChatCompletionChunk>, request: ResponsesRequest, frame: ResponseFrame) {
    super(upstream);
    this.#request = request;
    this.#frame = frame;
  }

  protected translate(chunk: ChatCompletionChunk): void {
    if (this.#response === undefined) {
      this.#response = responseSkeleton(this.#request, this.#frame, chunk.model || this.#request.model);
      this.#emit({ type: 'response.created', response: this.#snapshot() });
      this.#emit({ type: 'response.in_progress', response: this.#snapshot() });
    }
    if (chunk.usage) this.#usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (choice === undefined) return;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content.length > 0) this.#text(delta.content);
    for (const toolCall of delta.tool_calls ?? []) {
      let item = this.#itemOfTool.get(toolCall.index);
      if (item === undefined) {
        this.#closeMessage();
        item = this.#open('function_call', toolCall.id ?? `call_${toolCall.index}`, toolCall.function?.name ?? '');
        this.#itemOfTool.set(toolCall.index, item);
      }
      const partial = toolCall.function?.arguments;
      if (typeof partial === 'string' && partial.length > 0) {
        item.text += partial;
        this.#emit({
          type: 'response.function_call_arguments.delta',
          item_id: item.id,
          output_index: item.outputIndex,
          delta: partial,
        });
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) this.#finishReason = choice.finish_reason;
  }

  #text(text: string): void {
    let item = this.#message;
    if (item === undefined) {
      item = this.#open('message', '', '');
      this.#message = item;
      this.#emit({
        type: 'response.content_part.added',
        item_id: item.id,
        output_index: item.outputIndex,
        content_index: 0,
        part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
      });
    }
    item.text += text;
    this.#emit({
      type: 'response.output_text.delta',
      item_id: item.id,
      output_index: item.outputIndex,
      content_index: 0,
      delta: text,
      logprobs: [],
    });
  }

  #open(kind: OpenItem['kind'], callId: string, name: string): OpenItem {
    const item: OpenItem = {
      outputIndex: this.#items.length,
      id: this.#frame.newItemId(kind === 'message' ? 'msg' : 'fc'),
      kind,
      text: '',
      callId,
      name,
      closed: false,
    };
    this.#items.push(item);
    const added: ResponsesItem =
      kind === 'message'
        ? { id: item.id, type: 'message', status: 'in_progress', content: [], role: 'assistant' }
        : { id: item.id, type: 'function_call', status: 'in_progress', arguments: '', call_id: callId, name };
    this.#emit({ type: 'response.output_item.added', output_index: item.outputIndex, item: added });
    return item;
  }

  #closeMessage(): void {
    if (this.#message === undefined) return;
    this.#close(this.#message);
    this.#message = undefined;
  }

  #close(item: OpenItem): void {
    if (item.closed) return;
    item.closed = true;
    const done = this.#itemOf(item);
    if (item.kind === 'message') {
      const base = { item_id: item.id, output_index: item.outputIndex, content_index: 0 };
      this.#emit({ type: 'response.output_text.done', ...base, text: item.text, logprobs: [] });
      this.#emit({
        type: 'response.content_part.done',
        ...base,
        part: { type: 'output_text', annotations: [], logprobs: [], text: item.text },
      });
    } else {
      this.#emit({
        type: 'response.function_call_arguments.done',
        item_id: item.id,
        output_index: item.outputIndex,
        name: item.name,
        arguments: item.text,
      });
    }
    this.#emit({ type: 'response.output_item.done', output_index: item.outputIndex, item: done });
  }

  #itemOf(item: OpenItem): ResponsesItem {
    return item.kind === 'message'
      ? messageItem(item.id, 'text', item.text)
      : functionCallItem(item.id, item.callId, item.name, item.text);
  }

  protected finish(): void {
    const response = this.#response;
    if (response === undefined) return;
    for (const item of this.#items) this.#close(item);
    this.output = this.#items.map((item) => this.#itemOf(item));
    const { status, incompleteDetails } = finalStatusOf(this.#finishReason);
    response.status = status;
    response.incomplete_details = incompleteDetails;
    response.output = this.output;
    response.usage = responsesUsageOf(this.#usage);
    this.#emit({ type: status === 'completed' ? 'response.completed' : 'response.incomplete', response });
  }

  /** A copy of the response as it stands, for `response.created` / `in_progress`. */
  #snapshot(): ResponsesResponse {
    return { ...(this.#response as ResponsesResponse), output: [] };
  }

  #emit(value: Omit<ResponsesStreamEvent, 'sequence_number'>): void {
    const event = { type: value.type, sequence_number: this.#sequence++, ...value } as ResponsesStreamEvent;
    this.push({ event: event.type, data: JSON.stringify(event), value: event });
  }
}
