/**
 * Anthropic Messages response → OpenAI `chat.completion`: text blocks → `message.content`,
 * `tool_use` blocks → `tool_calls`, stop reasons → finish reasons, usage → OpenAI usage.
 */
import type { Message, StopReason } from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletion, ChatToolCall, ChatUsage, FinishReason } from '../../src/contract/chat-types.ts';

/**
 * Maps an Anthropic stop reason to OpenAI's finish reason: `end_turn`, `stop_sequence`,
 * `pause_turn` → `stop`; `max_tokens`, `model_context_window_exceeded` → `length`;
 * `tool_use` → `tool_calls`; `refusal` → `content_filter`; absent → null.
 *
 * @example
 * ```ts
 * finishReasonOf('max_tokens'); // 'length'
 * ```
 */
export function finishReasonOf(stopReason: StopReason | string | null | undefined): FinishReason {
  switch (stopReason) {
    case null:
    case undefined:
      return null;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * OpenAI usage from Anthropic token counts. Cached input tokens (cache reads and writes)
 * count as prompt tokens, as OpenAI counts cached tokens.
 *
 * @example
 * ```ts
 * usageOf(10, 5); // { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }
 * ```
 */
export function usageOf(inputTokens: number, outputTokens: number): ChatUsage {
  return { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
}

/** Anthropic's prompt tokens including cache reads and writes. */
export function promptTokensOf(
  usage:
    | {
        input_tokens?: number | null;
        cache_read_input_tokens?: number | null;
        cache_creation_input_tokens?: number | null;
      }
    | undefined,
): number {
  if (usage === undefined) return 0;
  return (usage.input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0);
}

/**
 * Translates a non-streamed Anthropic message into a `chat.completion`. Text blocks are
 * concatenated; thinking and server-tool blocks are left out. With `structuredTool` (a
 * `response_format` answered through that tool), the tool's input is the content, as JSON text.
 *
 * @example
 * ```ts
 * const completion = toChatCompletion(message, Math.floor(Date.now() / 1000));
 * completion.choices[0].message.content; // the text
 * ```
 */
export function toChatCompletion(message: Message, created: number, structuredTool?: string): ChatCompletion {
  let text: string | null = null;
  let toolCalls: ChatToolCall[] | undefined;
  let structured = false;
  for (const block of message.content) {
    if (block.type === 'text') {
      // The text around a structured answer (a preamble) is not part of it.
      if (structuredTool === undefined) text = text === null ? block.text : text + block.text;
    } else if (block.type === 'tool_use' && block.name === structuredTool) {
      text = JSON.stringify(block.input ?? {});
      structured = true;
    } else if (block.type === 'tool_use') {
      (toolCalls ??= []).push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const choiceMessage: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: text };
  if (toolCalls !== undefined) choiceMessage.tool_calls = toolCalls;
  const finishReason = finishReasonOf(message.stop_reason);
  return {
    id: message.id,
    object: 'chat.completion',
    created,
    model: message.model,
    choices: [
      {
        index: 0,
        message: choiceMessage,
        logprobs: null,
        finish_reason: structured && toolCalls === undefined && finishReason === 'tool_calls' ? 'stop' : finishReason,
      },
    ],
    usage: usageOf(promptTokensOf(message.usage), message.usage?.output_tokens ?? 0),
  };
}
