/**
 * Builders of OpenAI-shaped responses and stream chunks for adapter tests (shapes as the
 * OpenAI API sends them).
 */
import type { ChatCompletion, ChatCompletionChunk } from '../../src/contract/chat-types.ts';

/** A `chat.completion` answering `content`. */
export function openAICompletion(content: string, model = 'gpt-4o-mini'): ChatCompletion {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1_763_000_000,
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    system_fingerprint: 'fp_test',
  };
}

/** A `chat.completion.chunk` carrying a content delta (or the finish reason when `content` is null). */
export function openAIChunk(
  content: string | null,
  finishReason: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
): ChatCompletionChunk {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: 1_763_000_000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta: content === null ? {} : { content }, logprobs: null, finish_reason: finishReason }],
  };
}
