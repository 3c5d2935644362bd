/**
 * OpenAI Responses request → OpenAI Chat Completions request, for serving `/v1/responses` from
 * a provider that speaks only Chat Completions (`anthropic`, `mock`). The stateless subset:
 * pure data mapping; stored conversations are expanded by the caller before.
 */
import type {
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  ChatTool,
  ChatToolCall,
} from '../../contract/chat-types.ts';
import { ProviderError } from '../../contract/provider-error.ts';
import type { ResponsesItem, ResponsesRequest } from '../../contract/responses-types.ts';
import {
  applyUnsupportedParameters,
  unsupportedParameter,
  type UnsupportedParameterPolicy,
} from '../../contract/unsupported-parameters.ts';

/** Fields of a Responses request that need state or tools a Chat Completions provider does not have. */
const UNSUPPORTED = new Set(['conversation', 'prompt', 'background']);

/**
 * Translates a Responses request into a Chat Completions request:
 * - `instructions` → a leading `system` message; `input` as a string → one user message;
 * - `message` items (roles user, system, developer, assistant; `input_text`, `output_text`,
 *   `refusal`, `input_image` parts) → messages; `function_call` items → the assistant's
 *   `tool_calls` (consecutive calls join one assistant message); `function_call_output` items →
 *   `tool` messages; `reasoning` items are left out;
 * - `tools` (function tools) → function tools, `tool_choice` → its Chat form;
 * - `max_output_tokens` → `max_tokens`, `temperature`, `top_p`, `parallel_tool_calls`,
 *   `text.format` json_schema / json_object → `response_format`, `reasoning.effort` →
 *   `reasoning_effort`, `safety_identifier` / `user` → `user`;
 * - hosted tools (`web_search`, `file_search`…), `conversation`, `prompt`, `background: true`
 *   cannot be expressed: 400 `unsupported_parameter` unless the policy drops them; an
 *   `item_reference` left unresolved or another item type is a 400.
 *
 * @example
 * ```ts
 * responsesToChatRequest({ model: 'claude-sonnet-4-5', instructions: 'Be brief.', input: 'Hi' }, { provider: 'claude', drop: false });
 * // { model: 'claude-sonnet-4-5', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] }
 * ```
 */
export function responsesToChatRequest(
  request: ResponsesRequest,
  policy: UnsupportedParameterPolicy,
): ChatCompletionRequest {
  applyUnsupportedParameters(
    request,
    (name, value) => UNSUPPORTED.has(name) && !(name === 'background' && value === false),
    policy,
  );
  const messages: ChatMessage[] = [];
  if (typeof request.instructions === 'string' && request.instructions.length > 0)
    messages.push({ role: 'system', content: request.instructions });
  const input = request.input;
  if (typeof input === 'string') messages.push({ role: 'user', content: input });
  else if (Array.isArray(input)) input.forEach((item, index) => appendItem(messages, item, index, policy.provider));
  const chat: ChatCompletionRequest = { model: request.model, messages };
  if (typeof request.max_output_tokens === 'number') chat.max_tokens = request.max_output_tokens;
  if (typeof request.temperature === 'number') chat.temperature = request.temperature;
  if (typeof request.top_p === 'number') chat.top_p = request.top_p;
  if (Array.isArray(request.tools) && request.tools.length > 0) {
    const tools = functionTools(request.tools, policy);
    if (tools.length > 0) {
      chat.tools = tools;
      applyToolChoice(chat, request.tool_choice, policy.provider);
      if (typeof request.parallel_tool_calls === 'boolean') chat.parallel_tool_calls = request.parallel_tool_calls;
    }
  } else if (request.tool_choice === 'none') chat.tool_choice = 'none';
  const format = request.text?.format;
  if (format?.type === 'json_schema') {
    const schema: Record<string, unknown> = { name: format.name ?? 'response', schema: format.schema ?? {} };
    if (typeof format.description === 'string') schema.description = format.description;
    if (typeof format.strict === 'boolean') schema.strict = format.strict;
    chat.response_format = { type: 'json_schema', json_schema: schema };
  } else if (format?.type === 'json_object') chat.response_format = { type: 'json_object' };
  const effort = (request.reasoning as { effort?: unknown } | null | undefined)?.effort;
  if (typeof effort === 'string') chat.reasoning_effort = effort;
  const user = request.safety_identifier ?? request.user;
  if (typeof user === 'string' && user.length > 0) chat.user = user;
  return chat;
}

function appendItem(messages: ChatMessage[], item: ResponsesItem, index: number, provider: string): void {
  if (item === null || typeof item !== 'object') throw invalid(provider, `input.${index}: expected an object`);
  const type = item.type ?? (typeof item.role === 'string' ? 'message' : undefined);
  switch (type) {
    case 'message':
      appendMessage(messages, item, index, provider);
      return;
    case 'function_call': {
      if (typeof item.call_id !== 'string' || typeof item.name !== 'string')
        throw invalid(provider, `input.${index}: a function_call needs a call_id and a name`);
      const call: ChatToolCall = {
        id: item.call_id,
        type: 'function',
        function: { name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : '{}' },
      };
      const last = messages.at(-1);
      if (last?.role === 'assistant' && last.tool_calls === undefined && last.content === null)
        last.tool_calls = [call];
      else if (last?.role === 'assistant' && last.tool_calls !== undefined) last.tool_calls.push(call);
      else if (last?.role === 'assistant') last.tool_calls = [call];
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
      return;
    }
    case 'function_call_output':
      if (typeof item.call_id !== 'string')
        throw invalid(provider, `input.${index}: a function_call_output needs a call_id`);
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: outputText(item.output) });
      return;
    case 'reasoning':
      return;
    case 'item_reference':
      throw invalid(
        provider,
        `input.${index}: item '${String(item.id)}' is not known here; send the item itself instead of a reference`,
      );
    default:
      throw invalid(provider, `input.${index}: items of type '${String(type)}' are not supported by this provider`);
  }
}

function appendMessage(messages: ChatMessage[], item: ResponsesItem, index: number, provider: string): void {
  const role = item.role;
  if (role !== 'user' && role !== 'system' && role !== 'developer' && role !== 'assistant')
    throw invalid(provider, `input.${index}.role: '${String(role)}' is not user, system, developer or assistant`);
  const content = item.content;
  if (typeof content === 'string') {
    messages.push({ role: role === 'developer' ? 'system' : role, content });
    return;
  }
  if (!Array.isArray(content)) throw invalid(provider, `input.${index}.content: expected a string or an array`);
  const parts: ChatContentPart[] = [];
  for (const part of content) {
    if (part.type === 'input_text' || part.type === 'output_text' || part.type === 'text')
      parts.push({ type: 'text', text: String(part.text ?? '') });
    else if (part.type === 'refusal') parts.push({ type: 'text', text: String(part.refusal ?? '') });
    else if (part.type === 'input_image') {
      if (typeof part.image_url !== 'string')
        throw invalid(provider, `input.${index}: images by file_id are not supported by this provider`);
      const image: { url: string; detail?: 'auto' | 'low' | 'high' } = { url: part.image_url };
      if (part.detail === 'low' || part.detail === 'high' || part.detail === 'auto') image.detail = part.detail;
      parts.push({ type: 'image_url', image_url: image });
    } else throw invalid(provider, `input.${index}: content parts of type '${part.type}' are not supported here`);
  }
  const onlyText = parts.every((part) => part.type === 'text');
  const text = onlyText ? parts.map((part) => (part as { text: string }).text).join('\n') : undefined;
  if (role === 'assistant') {
    if (!onlyText) throw invalid(provider, `input.${index}: an assistant message holds only text`);
    messages.push({ role: 'assistant', content: text ?? '' });
    return;
  }
  messages.push({ role: role === 'developer' ? 'system' : role, content: text ?? parts });
}

/** A function call's output as the text of a `tool` message (text parts joined). */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) return output === undefined || output === null ? '' : JSON.stringify(output);
  return output
    .filter((part: { type?: unknown }) => part?.type === 'input_text' || part?.type === 'output_text')
    .map((part: { text?: unknown }) => String(part.text ?? ''))
    .join('\n');
}

/** Function tools; hosted tools (`web_search`, `file_search`, `mcp`…) are refused, or dropped by the policy. */
function functionTools(tools: NonNullable<ResponsesRequest['tools']>, policy: UnsupportedParameterPolicy): ChatTool[] {
  const result: ChatTool[] = [];
  const dropped: string[] = [];
  for (const tool of tools) {
    if (tool.type !== 'function') {
      const name = `tools.${tool.type}`;
      if (!policy.drop) throw unsupportedParameter(policy.provider, name);
      dropped.push(name);
      continue;
    }
    const definition: ChatTool = {
      type: 'function',
      function: {
        name: String(tool.name ?? ''),
        parameters: (tool.parameters as Record<string, unknown> | null | undefined) ?? {
          type: 'object',
          properties: {},
        },
      },
    };
    if (typeof tool.description === 'string') definition.function.description = tool.description;
    if (typeof tool.strict === 'boolean') definition.function.strict = tool.strict;
    result.push(definition);
  }
  if (dropped.length > 0) policy.report?.(policy.provider, dropped);
  return result;
}

function applyToolChoice(chat: ChatCompletionRequest, choice: unknown, provider: string): void {
  if (choice === undefined || choice === null) return;
  if (choice === 'auto' || choice === 'none' || choice === 'required') {
    chat.tool_choice = choice;
    return;
  }
  const record = choice as { type?: unknown; name?: unknown };
  if (record.type === 'function' && typeof record.name === 'string') {
    chat.tool_choice = { type: 'function', function: { name: record.name } };
    return;
  }
  throw unsupportedParameter(provider, `tool_choice.${String(record.type)}`);
}

function invalid(provider: string, message: string): ProviderError {
  return new ProviderError(`${provider}: ${message}`, {
    kind: 'http',
    provider,
    status: 400,
    code: 'invalid_request_error',
    body: { error: { message, type: 'invalid_request_error', param: 'input', code: 'invalid_value' } },
  });
}
