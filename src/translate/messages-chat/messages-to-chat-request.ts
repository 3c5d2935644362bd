/**
 * Anthropic Messages request → OpenAI Chat Completions request, for serving `/v1/messages` from
 * a provider that speaks Chat Completions (`openai`, `mock`). Pure data mapping.
 */
import type {
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  ChatTool,
  ChatToolCall,
} from '../../contract/chat-types.ts';
import type { MessagesContentBlock, MessagesRequest } from '../../contract/messages-types.ts';
import { ProviderError } from '../../contract/provider-error.ts';
import {
  applyUnsupportedParameters,
  unsupportedParameter,
  type UnsupportedParameterPolicy,
} from '../../contract/unsupported-parameters.ts';

/** Fields of a Messages request that Chat Completions cannot express. */
const UNSUPPORTED = new Set(['top_k', 'thinking', 'container', 'mcp_servers', 'context_management']);

/**
 * Translates a Messages request into a Chat Completions request:
 * - `system` (a string or text blocks) → a leading `system` message;
 * - text blocks → text parts; image blocks (base64 or URL) → `image_url` parts;
 * - assistant `tool_use` blocks → `tool_calls` (input JSON-encoded); user `tool_result` blocks →
 *   `tool` messages (placed before the rest of that user turn, as Chat Completions requires);
 * - `max_tokens`, `temperature`, `top_p`, `stop_sequences` → `stop`, `metadata.user_id` → `user`;
 * - `tools` → function tools (`input_schema` → `parameters`), `tool_choice` auto/any/tool/none →
 *   auto/required/function/none, `disable_parallel_tool_use` → `parallel_tool_calls: false`;
 * - `top_k`, `thinking` and server tools cannot be expressed: refused with 400
 *   `unsupported_parameter` unless the policy drops them. `thinking` blocks of earlier turns are
 *   left out.
 *
 * @example
 * ```ts
 * messagesToChatRequest({ model: 'gpt-4o-mini', max_tokens: 64, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] }, { provider: 'openai', drop: false });
 * // { model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] }
 * ```
 */
export function messagesToChatRequest(
  request: MessagesRequest,
  policy: UnsupportedParameterPolicy,
): ChatCompletionRequest {
  // Unknown Anthropic-only fields (cache settings…) are not forwarded; those that change the answer are checked.
  applyUnsupportedParameters(request, (name) => UNSUPPORTED.has(name), policy);
  const messages: ChatMessage[] = [];
  const system = systemText(request.system);
  if (system.length > 0) messages.push({ role: 'system', content: system });
  for (const message of request.messages) {
    if (message.role === 'assistant') messages.push(assistantMessage(message.content, policy.provider));
    else if (message.role === 'user') appendUserTurn(messages, message.content);
    else throw invalid(policy.provider, `messages: role '${String(message.role)}' is not 'user' or 'assistant'`);
  }
  const chat: ChatCompletionRequest = { model: request.model, messages, max_tokens: request.max_tokens };
  if (typeof request.temperature === 'number') chat.temperature = request.temperature;
  if (typeof request.top_p === 'number') chat.top_p = request.top_p;
  if (Array.isArray(request.stop_sequences) && request.stop_sequences.length > 0) chat.stop = request.stop_sequences;
  if (Array.isArray(request.tools) && request.tools.length > 0) {
    const tools = functionTools(request.tools, policy);
    if (tools.length > 0) {
      chat.tools = tools;
      applyToolChoice(chat, request.tool_choice);
    }
  } else if (request.tool_choice?.type === 'none') chat.tool_choice = 'none';
  const user = request.metadata?.user_id;
  if (typeof user === 'string' && user.length > 0) chat.user = user;
  return chat;
}

function systemText(system: MessagesRequest['system']): string {
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) return '';
  return system
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('\n\n');
}

function appendUserTurn(messages: ChatMessage[], content: string | MessagesContentBlock[]): void {
  if (typeof content === 'string') {
    messages.push({ role: 'user', content });
    return;
  }
  const parts: ChatContentPart[] = [];
  for (const block of content) {
    if (block.type === 'tool_result') messages.push(toolMessage(block));
    else if (block.type === 'text') parts.push({ type: 'text', text: String(block.text ?? '') });
    else if (block.type === 'image') parts.push(imagePart(block));
    // thinking, redacted_thinking and document blocks have no Chat Completions form in a user turn.
  }
  if (parts.length === 0) return;
  const onlyText = parts.every((part) => part.type === 'text');
  messages.push({
    role: 'user',
    content: onlyText ? parts.map((part) => (part as { text: string }).text).join('\n') : parts,
  });
}

function toolMessage(block: MessagesContentBlock): ChatMessage {
  const content = block.content;
  let text: string;
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content))
    text = (content as MessagesContentBlock[])
      .filter((part) => part.type === 'text')
      .map((part) => String(part.text ?? ''))
      .join('\n');
  else text = '';
  if (block.is_error === true) text = `Error: ${text}`;
  return { role: 'tool', tool_call_id: String(block.tool_use_id ?? ''), content: text };
}

function imagePart(block: MessagesContentBlock): ChatContentPart {
  const source = block.source as { type?: string; media_type?: string; data?: string; url?: string } | undefined;
  const url =
    source?.type === 'base64'
      ? `data:${source.media_type ?? 'image/png'};base64,${source.data ?? ''}`
      : (source?.url ?? '');
  return { type: 'image_url', image_url: { url } };
}

function assistantMessage(content: string | MessagesContentBlock[], provider: string): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  let text = '';
  const toolCalls: ChatToolCall[] = [];
  for (const block of content) {
    if (block.type === 'text') text += String(block.text ?? '');
    else if (block.type === 'tool_use') {
      if (typeof block.id !== 'string' || typeof block.name !== 'string')
        throw invalid(provider, 'tool_use blocks need an id and a name');
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const message: ChatMessage = { role: 'assistant', content: text.length > 0 ? text : null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

/** Client tools as function tools; server tools (`web_search_…`, `bash_…`) are refused, or dropped by the policy. */
function functionTools(tools: NonNullable<MessagesRequest['tools']>, policy: UnsupportedParameterPolicy): ChatTool[] {
  const result: ChatTool[] = [];
  const dropped: string[] = [];
  for (const tool of tools) {
    if (tool.type !== undefined && tool.type !== 'custom') {
      const name = `tools.${tool.type}`;
      if (!policy.drop) throw unsupportedParameter(policy.provider, name);
      dropped.push(name);
      continue;
    }
    const definition: ChatTool = {
      type: 'function',
      function: { name: tool.name, parameters: tool.input_schema ?? { type: 'object', properties: {} } },
    };
    if (typeof tool.description === 'string') definition.function.description = tool.description;
    result.push(definition);
  }
  if (dropped.length > 0) policy.report?.(policy.provider, dropped);
  return result;
}

function applyToolChoice(chat: ChatCompletionRequest, choice: MessagesRequest['tool_choice']): void {
  if (choice === undefined) return;
  switch (choice.type) {
    case 'auto':
      chat.tool_choice = 'auto';
      break;
    case 'any':
      chat.tool_choice = 'required';
      break;
    case 'none':
      chat.tool_choice = 'none';
      break;
    case 'tool':
      chat.tool_choice = { type: 'function', function: { name: String(choice.name ?? '') } };
      break;
  }
  if (choice.disable_parallel_tool_use === true) chat.parallel_tool_calls = false;
}

function invalid(provider: string, message: string): ProviderError {
  return new ProviderError(`${provider}: ${message}`, {
    kind: 'http',
    provider,
    status: 400,
    code: 'invalid_request_error',
    body: { error: { message, type: 'invalid_request_error', param: null, code: null } },
  });
}
