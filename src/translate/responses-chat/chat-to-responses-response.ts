/**
 * OpenAI `chat.completion` → Responses `response` object, for `/v1/responses` served by a
 * provider that speaks Chat Completions. Pure data mapping.
 */
import type { ChatCompletion, ChatToolCall } from '../../contract/chat-types.ts';
import type { ResponsesItem, ResponsesRequest, ResponsesResponse } from '../../contract/responses-types.ts';
import { finalStatusOf, responseSkeleton, responsesUsageOf, type ResponseFrame } from './response-frame.ts';

/**
 * Translates the first choice of a completion into a response: its text (or refusal) → one
 * assistant `message` item with an `output_text` (or `refusal`) part, each tool call → a
 * `function_call` item (its id kept as `call_id`), the finish reason → `completed` or
 * `incomplete`, the usage → input/output tokens. The request's settings are echoed.
 *
 * @example
 * ```ts
 * const response = chatToResponsesResponse(completion, request, newResponseFrame());
 * // { id: 'resp_…', object: 'response', status: 'completed', output: [{ type: 'message', … }], usage: { … } }
 * ```
 */
export function chatToResponsesResponse(
  completion: ChatCompletion,
  request: ResponsesRequest,
  frame: ResponseFrame,
): ResponsesResponse {
  const choice = completion.choices[0];
  const response = responseSkeleton(request, frame, completion.model || request.model);
  const message = choice?.message;
  const output: ResponsesItem[] = [];
  const text = message?.content;
  const refusal = message?.refusal;
  if (typeof text === 'string' && text.length > 0) output.push(messageItem(frame.newItemId('msg'), 'text', text));
  else if (typeof refusal === 'string' && refusal.length > 0)
    output.push(messageItem(frame.newItemId('msg'), 'refusal', refusal));
  for (const toolCall of (message?.tool_calls ?? []) as ChatToolCall[])
    output.push(
      functionCallItem(frame.newItemId('fc'), toolCall.id, toolCall.function.name, toolCall.function.arguments),
    );
  const { status, incompleteDetails } = finalStatusOf(choice?.finish_reason);
  response.status = status;
  response.incomplete_details = incompleteDetails;
  response.output = output;
  response.usage = responsesUsageOf(completion.usage);
  return response;
}

/** A completed assistant `message` item holding one `output_text` (or `refusal`) part. */
export function messageItem(id: string, kind: 'text' | 'refusal', text: string): ResponsesItem {
  return {
    id,
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [
      kind === 'text'
        ? { type: 'output_text', annotations: [], logprobs: [], text }
        : { type: 'refusal', refusal: text },
    ],
  };
}

/** A completed `function_call` item. */
export function functionCallItem(id: string, callId: string, name: string, argumentsText: string): ResponsesItem {
  return { id, type: 'function_call', status: 'completed', arguments: argumentsText, call_id: callId, name };
}
