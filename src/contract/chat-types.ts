/**
 * The OpenAI Chat Completions shapes that flow between the gateway, the router and the
 * adapters. Only the fields Switchboard reads are typed; every other field passes through
 * untouched (the index signatures), so new OpenAI parameters need no change here.
 */

/** One part of a multi-part user message: text or an image URL (http(s) or a data URL). */
export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: string; [key: string]: unknown };

/** A tool call requested by the assistant, in OpenAI's shape. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of a conversation, in OpenAI's shape. */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | (string & {});
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}

/** A tool the model may call, in OpenAI's shape. */
export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

/**
 * A Chat Completions request body. `stream` is decided by which adapter method is called,
 * so adapters ignore it; everything not listed is forwarded as is to OpenAI-compatible upstreams.
 */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stop?: string | string[] | null;
  tools?: ChatTool[];
  tool_choice?: unknown;
  stream_options?: { include_usage?: boolean } | null;
  user?: string;
  [key: string]: unknown;
}

/** Token counts as OpenAI reports them. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [key: string]: unknown;
}

/** Why generation stopped, in OpenAI's vocabulary. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | null;

/** A non-streamed Chat Completions response (`object: 'chat.completion'`). */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[]; [key: string]: unknown };
    finish_reason: FinishReason;
    logprobs?: unknown;
    [key: string]: unknown;
  }>;
  usage?: ChatUsage;
  [key: string]: unknown;
}

/** One streamed chunk (`object: 'chat.completion.chunk'`), as sent in an SSE `data:` line. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      tool_calls?: Array<{
        index: number;
        id?: string;
        type?: 'function';
        function?: { name?: string; arguments?: string };
      }>;
      [key: string]: unknown;
    };
    finish_reason: FinishReason;
    [key: string]: unknown;
  }>;
  usage?: ChatUsage | null;
  [key: string]: unknown;
}
