/**
 * The OpenAI Responses API shapes (`POST /v1/responses`) that flow between the gateway and the
 * adapters. Loosely typed: an `openai` upstream gets the client's body as sent; the
 * translation to Chat Completions reads the stateless subset typed here.
 */

/** One input or output item (`message`, `function_call`, `function_call_output`, `reasoning`…). */
export interface ResponsesItem {
  type?: string;
  role?: string;
  content?: string | Array<{ type: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** A Responses request body. */
export interface ResponsesRequest {
  model: string;
  input?: string | ResponsesItem[];
  instructions?: string | null;
  stream?: boolean | null;
  tools?: Array<{ type: string; name?: string; [key: string]: unknown }>;
  tool_choice?: unknown;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  previous_response_id?: string | null;
  text?: { format?: { type: string; [key: string]: unknown }; [key: string]: unknown } | null;
  [key: string]: unknown;
}

/** Token counts as the Responses API reports them. */
export interface ResponsesUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  [key: string]: unknown;
}

/** A Responses response object (`object: 'response'`). */
export interface ResponsesResponse {
  id: string;
  object: 'response';
  created_at: number;
  status: string;
  model: string;
  output: ResponsesItem[];
  usage?: ResponsesUsage | null;
  [key: string]: unknown;
}

/** One streamed Responses event (`response.created` … `response.completed`), as its `data:` JSON. */
export interface ResponsesStreamEvent {
  type: string;
  sequence_number?: number;
  [key: string]: unknown;
}
