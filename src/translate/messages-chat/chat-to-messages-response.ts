/**
 * OpenAI `chat.completion` → Anthropic Messages response, for `/v1/messages` served by a
 * provider that speaks Chat Completions. Pure data mapping.
 */
import type { ChatCompletion, ChatToolCall, ChatUsage, FinishReason } from '../../contract/chat-types.ts';
import type { MessagesContentBlock, MessagesResponse, MessagesUsage } from '../../contract/messages-types.ts';

/**
 * Maps an OpenAI finish reason to an Anthropic stop reason: `stop` → `end_turn`, `length` →
 * `max_tokens`, `tool_calls` / `function_call` → `tool_use`, `content_filter` → `refusal`.
 *
 * @example
 * ```ts
 * stopReasonOf('length'); // 'max_tokens'
 * ```
 */
export function stopReasonOf(finishReason: FinishReason | string | null | undefined): string | null {
  switch (finishReason) {
    case null:
    case undefined:
      return null;
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Anthropic usage from OpenAI usage (cached prompt tokens stay counted as input). */
export function messagesUsageOf(usage: ChatUsage | null | undefined): MessagesUsage {
  return { input_tokens: usage?.prompt_tokens ?? 0, output_tokens: usage?.completion_tokens ?? 0 };
}

/** A `msg_…` id derived from an upstream completion id. */
export function messageIdOf(completionId: string | undefined): string {
  const id = completionId ?? '';
  return id.startsWith('msg_') ? id : `msg_${id.replace(/^chatcmpl-/, '') || Date.now().toString(36)}`;
}

/** A tool call's arguments as the object Anthropic's `tool_use.input` holds (`{}` when they are not a JSON object). */
export function toolInputOf(argumentsText: string | undefined): Record<string, unknown> {
  if (argumentsText === undefined || argumentsText.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(argumentsText);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * Translates the first choice of a completion into a Messages response: its text → a text
 * block, its tool calls → `tool_use` blocks, finish reason → stop reason, usage → input/output tokens.
 *
 * @example
 * ```ts
 * const message = chatToMessagesResponse(completion); // { type: 'message', content: [{ type: 'text', text: '…' }], … }
 * ```
 */
export function chatToMessagesResponse(completion: ChatCompletion): MessagesResponse {
  const choice = completion.choices[0];
  const content: MessagesContentBlock[] = [];
  const text = choice?.message.content;
  if (typeof text === 'string' && text.length > 0) content.push({ type: 'text', text });
  for (const toolCall of (choice?.message.tool_calls ?? []) as ChatToolCall[]) {
    content.push({
      type: 'tool_use',
      id: toolCall.id,
      name: toolCall.function.name,
      input: toolInputOf(toolCall.function.arguments),
    });
  }
  return {
    id: messageIdOf(completion.id),
    type: 'message',
    role: 'assistant',
    model: completion.model,
    content,
    stop_reason: stopReasonOf(choice?.finish_reason),
    stop_sequence: null,
    usage: messagesUsageOf(completion.usage),
  };
}
