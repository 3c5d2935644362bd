/**
 * The parts of a translated Responses object that do not come from the completion: its ids,
 * its creation time, and the request settings a `response` object echoes back.
 */
import { randomBytes } from 'node:crypto';
import type { ChatUsage, FinishReason } from '../../contract/chat-types.ts';
import type { ResponsesRequest, ResponsesResponse, ResponsesUsage } from '../../contract/responses-types.ts';

/** Ids and time of one translated response. */
export interface ResponseFrame {
  /** The response id (`resp_…`). */
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** A new output item id with this prefix (`msg`, `fc`). */
  newItemId(prefix: 'msg' | 'fc'): string;
}

/**
 * A frame with random ids (`resp_` / `msg_` / `fc_` and 48 hex digits, as OpenAI's) created now.
 *
 * @example
 * ```ts
 * const frame = newResponseFrame(); // { id: 'resp_6f1c…', createdAt: 1764000000, newItemId }
 * ```
 */
export function newResponseFrame(now: number = Date.now()): ResponseFrame {
  return {
    id: `resp_${randomBytes(24).toString('hex')}`,
    createdAt: Math.floor(now / 1000),
    newItemId: (prefix) => `${prefix}_${randomBytes(24).toString('hex')}`,
  };
}

/**
 * The `response` object of `request` before any output: status `in_progress`, the request's
 * settings echoed (instructions, tools, tool_choice, temperature, top_p, text format…), no usage.
 */
export function responseSkeleton(request: ResponsesRequest, frame: ResponseFrame, model: string): ResponsesResponse {
  return {
    id: frame.id,
    object: 'response',
    created_at: frame.createdAt,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: (request.metadata as Record<string, string> | undefined) ?? {},
    model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: request.text ?? { format: { type: 'text' } },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    user: request.user ?? null,
  };
}

/** Responses usage from Chat Completions usage (cached and reasoning token details kept). */
export function responsesUsageOf(usage: ChatUsage | null | undefined): ResponsesUsage {
  const input = usage?.prompt_tokens ?? 0;
  const output = usage?.completion_tokens ?? 0;
  const cached = (usage?.prompt_tokens_details as { cached_tokens?: number } | undefined)?.cached_tokens ?? 0;
  const reasoning =
    (usage?.completion_tokens_details as { reasoning_tokens?: number } | undefined)?.reasoning_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: usage?.total_tokens ?? input + output,
  };
}

/**
 * The final status of a response from the completion's finish reason: `length` → `incomplete`
 * (`max_output_tokens`), `content_filter` → `incomplete` (`content_filter`), else `completed`.
 */
export function finalStatusOf(finishReason: FinishReason | string | null | undefined): {
  status: 'completed' | 'incomplete';
  incompleteDetails: { reason: string } | null;
} {
  if (finishReason === 'length') return { status: 'incomplete', incompleteDetails: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter')
    return { status: 'incomplete', incompleteDetails: { reason: 'content_filter' } };
  return { status: 'completed', incompleteDetails: null };
}
