/**
 * The Anthropic Messages API shapes (`POST /v1/messages`) that flow between the gateway and
 * the adapters. Only the fields Switchboard reads are typed; everything else passes through
 * (the index signatures), so an `anthropic` upstream receives the client's body as sent.
 */

/** One content block of a message: text, image, tool_use, tool_result, thinking, document… */
export interface MessagesContentBlock {
  type: string;
  [key: string]: unknown;
}

/** One turn of a Messages conversation. */
export interface MessagesMessage {
  role: 'user' | 'assistant' | (string & {});
  content: string | MessagesContentBlock[];
  [key: string]: unknown;
}

/** A tool the model may call, in Anthropic's shape. */
export interface MessagesTool {
  name: string;
  description?: string;
  input_schema?: Record<string, unknown>;
  type?: string;
  [key: string]: unknown;
}

/** A Messages request body. `stream` is decided by the method called. */
export interface MessagesRequest {
  model: string;
  messages: MessagesMessage[];
  max_tokens: number;
  system?: string | MessagesContentBlock[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: MessagesTool[];
  tool_choice?: { type: string; name?: string; disable_parallel_tool_use?: boolean; [key: string]: unknown };
  metadata?: { user_id?: string | null; [key: string]: unknown };
  [key: string]: unknown;
}

/** Token counts as Anthropic reports them. */
export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  [key: string]: unknown;
}

/** A non-streamed Messages response (`type: 'message'`). */
export interface MessagesResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: MessagesContentBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: MessagesUsage;
  [key: string]: unknown;
}

/** One streamed Messages event (`message_start`, `content_block_delta`, … `message_stop`), as its `data:` JSON. */
export interface MessagesStreamEvent {
  type: string;
  [key: string]: unknown;
}
