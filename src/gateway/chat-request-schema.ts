import { z } from 'zod';
import type { ChatCompletionRequest } from '../contract/chat-types.ts';
import { keepRawJson } from '../contract/provider-adapter.ts';
import { formatPath } from '../contract/configuration-error.ts';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../contract/json-depth.ts';
import { GatewayError } from './openai-error.ts';

/**
 * Longest model name accepted: every model name becomes a metric label and a log field, and no
 * provider's model id comes near it.
 */
export const MAX_MODEL_NAME_LENGTH = 256;

const contentPartSchema = z.looseObject({ type: z.string() });

const messageSchema = z.looseObject({
  role: z.string().min(1),
  content: z.union([z.string(), z.array(contentPartSchema), z.null()]).optional(),
});

const nullableNumber = z.number().nullable().optional();

/**
 * The checks the gateway makes on a Chat Completions body before routing it: the fields it
 * reads must have the right types; every other field passes through untouched.
 */
export const chatRequestSchema = z.looseObject({
  model: z.string().min(1).max(MAX_MODEL_NAME_LENGTH),
  messages: z.array(messageSchema).min(1),
  stream: z.boolean().nullable().optional(),
  temperature: nullableNumber,
  top_p: nullableNumber,
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  n: z.number().int().positive().nullable().optional(),
  stop: z.union([z.string(), z.array(z.string()), z.null()]).optional(),
  tools: z.array(z.looseObject({ type: z.string() })).optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
});

/**
 * Parses and validates a request body: not JSON, not an object, nested deeper than
 * `MAX_JSON_DEPTH` (it could not be re-encoded for a provider) or a schema violation →
 * 400 `invalid_request_error` naming the offending `param` (e.g. `messages[0].role`).
 * Returns the body as parsed, unknown fields included.
 */
export function parseChatRequest(body: Buffer): ChatCompletionRequest {
  if (body.length === 0) throw invalidRequest('The request body is empty; send a JSON object.', null, 'empty_body');
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequest('We could not parse the JSON body of your request.', null, 'invalid_json');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidRequest('The request body must be a JSON object.', null, 'invalid_json');
  }
  if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) {
    throw invalidRequest(
      `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`,
      null,
      'nesting_too_deep',
    );
  }
  const result = chatRequestSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = formatPath(issue.path);
    const record = value as Record<string, unknown>;
    const missing =
      issue.code === 'invalid_type' && issue.path.length === 1 && record[String(issue.path[0])] === undefined;
    const message = missing
      ? `Missing required parameter: '${param}'.`
      : issue.code === 'too_small' && param === 'messages'
        ? "'messages' must contain at least one message."
        : `Invalid '${param}': ${issue.message}.`;
    throw invalidRequest(
      message,
      param === '' ? null : param,
      missing ? 'missing_required_parameter' : 'invalid_value',
    );
  }
  // Kept so an OpenAI-compatible upstream receives the client's bytes, not a re-serialisation.
  return keepRawJson(value as ChatCompletionRequest, text);
}

function invalidRequest(message: string, param: string | null, code: string): GatewayError {
  return new GatewayError(400, message, { type: 'invalid_request_error', param, code });
}
