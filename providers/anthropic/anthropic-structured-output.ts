/**
 * OpenAI's `response_format` (`json_schema`, `json_object`) on Anthropic: the schema becomes the
 * input schema of one tool the model is made to call, and that call's input comes back as the
 * message content (JSON text), so `openai`'s `.parse()` reads it like OpenAI's structured output.
 */
import type { Tool } from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletionRequest } from '../../src/contract/chat-types.ts';
import { invalidRequest } from './anthropic-invalid-request.ts';

/** The name of the tool carrying a structured answer. */
export const STRUCTURED_OUTPUT_TOOL = 'structured_output';

const DEFAULT_DESCRIPTION = 'Give the final answer as the input of this tool, matching its schema exactly.';

/**
 * The tool forcing `request.response_format` on Anthropic, or undefined when the request asks for
 * plain text. Throws a 400 for a schema Anthropic cannot take as a tool input (its root must be an
 * object).
 *
 * @example
 * ```ts
 * structuredOutputTool({ model: 'm', messages: [], response_format: { type: 'json_object' } }, 'claude');
 * // { name: 'structured_output', description: '…', input_schema: { type: 'object' } }
 * ```
 */
export function structuredOutputTool(request: ChatCompletionRequest, provider: string): Tool | undefined {
  const format = request.response_format as
    { type?: unknown; json_schema?: { name?: unknown; description?: unknown; schema?: unknown } } | null | undefined;
  if (format === undefined || format === null || format.type === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object')
    return { name: STRUCTURED_OUTPUT_TOOL, description: DEFAULT_DESCRIPTION, input_schema: { type: 'object' } };
  if (format.type !== 'json_schema')
    throw invalidRequest(provider, `response_format.type '${String(format.type)}' is not supported`);
  const schema = format.json_schema?.schema ?? { type: 'object' };
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema))
    throw invalidRequest(provider, 'response_format.json_schema.schema must be a JSON Schema object');
  const rootType = (schema as { type?: unknown }).type;
  if (rootType !== undefined && rootType !== 'object')
    throw invalidRequest(provider, "response_format.json_schema.schema must describe an object (type: 'object')");
  const description = format.json_schema?.description;
  return {
    name: STRUCTURED_OUTPUT_TOOL,
    description: typeof description === 'string' && description.length > 0 ? description : DEFAULT_DESCRIPTION,
    input_schema: { ...(schema as Record<string, unknown>), type: 'object' } as Tool.InputSchema,
  };
}
