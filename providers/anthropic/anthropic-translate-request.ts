/**
 * OpenAI Chat Completions request → Anthropic Messages request. Pure data mapping; the only
 * failures are requests Anthropic could not express (a tool call whose arguments are not a
 * JSON object, an unknown role, a malformed data URL), reported as a 400 `ProviderError`
 * that the gateway passes through and the router does not retry.
 */
import type {
  Base64ImageSource,
  ContentBlockParam,
  ImageBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  TextBlockParam,
  Tool,
  ToolChoice,
  ToolResultBlockParam,
  ToolUseBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletionRequest, ChatContentPart, ChatMessage, ChatTool } from '../../src/contract/chat-types.ts';
import { invalidRequest } from './anthropic-invalid-request.ts';
import { structuredOutputTool } from './anthropic-structured-output.ts';
import { thinkingBudgetOf } from './anthropic-thinking.ts';

export { invalidRequest };

/** Settings of `toAnthropicRequest`. */
export interface AnthropicRequestSettings {
  /** The provider's name, for errors. */
  provider: string;
  /** `max_tokens` when the request sets neither `max_tokens` nor `max_completion_tokens`. */
  defaultMaxTokens: number;
  /** Whether to ask for an SSE stream. */
  stream: boolean;
}

/**
 * The Anthropic request body this module produces (`temperature` and `top_p` are still
 * accepted by the Messages API though newer SDK types no longer list them).
 */
export type AnthropicRequestBody = MessageCreateParamsBase & { stream?: boolean; temperature?: number; top_p?: number };

type UserOrAssistantMessage = { role: 'user' | 'assistant'; content: string | ContentBlockParam[] };

const EMPTY_INPUT_SCHEMA: Tool.InputSchema = Object.freeze({ type: 'object', properties: {} }) as Tool.InputSchema;

/**
 * Translates an OpenAI request into an Anthropic Messages request:
 * - `system` and `developer` messages → top-level `system` (joined by blank lines);
 * - `max_completion_tokens` ?? `max_tokens` ?? `defaultMaxTokens` → `max_tokens`;
 * - `temperature` (0 included; clamped to Anthropic's 0–1), `top_p`, `stop` → `stop_sequences`;
 * - `tools` → `tools` (`parameters` → `input_schema`), `tool_choice` auto/none/required/function →
 *   auto/none/any/tool, `parallel_tool_calls: false` → `disable_parallel_tool_use`;
 * - assistant `tool_calls` → `tool_use` blocks (arguments JSON-parsed); `tool` messages →
 *   `tool_result` blocks in a user message;
 * - `image_url` parts: data URLs → base64 image blocks, http(s) URLs → URL image blocks;
 * - consecutive messages of one role merged into one (Anthropic requires alternation);
 * - `response_format` json_schema / json_object → a tool the model must call (see
 *   `structuredOutputTool`); `reasoning_effort` → `thinking` with its budget (see `thinkingBudgetOf`);
 * - `user` → `metadata.user_id`. Parameters Anthropic cannot honour are refused or dropped before
 *   this (see `isUnsupportedOnAnthropic`); hints without effect (seed, store…) are left out.
 *
 * @example
 * ```ts
 * const body = toAnthropicRequest(
 *   { model: 'claude-sonnet-4-5', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] },
 *   { provider: 'claude', defaultMaxTokens: 4096, stream: false },
 * );
 * // { model: 'claude-sonnet-4-5', max_tokens: 4096, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] }
 * ```
 */
export function toAnthropicRequest(
  request: ChatCompletionRequest,
  settings: AnthropicRequestSettings,
): AnthropicRequestBody {
  const systemParts: string[] = [];
  const messages: UserOrAssistantMessage[] = [];
  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content);
        if (text.length > 0) systemParts.push(text);
        break;
      }
      case 'user':
        appendMessage(messages, 'user', userContent(message.content, settings.provider));
        break;
      case 'assistant': {
        const content = assistantContent(message, settings.provider);
        if (content.length > 0) appendMessage(messages, 'assistant', content);
        break;
      }
      case 'tool':
        appendMessage(messages, 'user', [toolResultBlock(message)]);
        break;
      default:
        throw invalidRequest(settings.provider, `messages: role '${String(message.role)}' cannot be sent to Anthropic`);
    }
  }

  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? settings.defaultMaxTokens;
  const body: AnthropicRequestBody = {
    model: request.model,
    max_tokens: maxTokens,
    messages: messages as MessageParam[],
  };
  if (systemParts.length > 0) body.system = systemParts.join('\n\n');
  if (typeof request.temperature === 'number') body.temperature = Math.min(1, Math.max(0, request.temperature));
  if (typeof request.top_p === 'number') body.top_p = request.top_p;
  const stopSequences = stopSequencesOf(request.stop);
  if (stopSequences !== undefined) body.stop_sequences = stopSequences;
  const hasTools = request.tools !== undefined && request.tools.length > 0;
  if (hasTools) {
    body.tools = (request.tools as ChatTool[]).map(toAnthropicTool);
    const toolChoice = toolChoiceOf(request.tool_choice, request.parallel_tool_calls === false, settings.provider);
    if (toolChoice !== undefined) body.tool_choice = toolChoice;
  }
  const structured = structuredOutputTool(request, settings.provider);
  if (structured !== undefined) {
    // The answer is the input of a tool the model must call: the only one, or any tool when the client gave its own.
    body.tools = [...(body.tools ?? []), structured];
    const named = body.tool_choice?.type === 'tool';
    if (!hasTools || body.tool_choice?.type === 'none') body.tool_choice = { type: 'tool', name: structured.name };
    else if (!named) body.tool_choice = { type: 'any' };
  }
  const budget = thinkingBudgetOf(request.reasoning_effort);
  if (budget !== undefined && budget > 0) {
    // Anthropic counts thinking in max_tokens and takes no sampling changes with it.
    body.thinking = { type: 'enabled', budget_tokens: budget };
    body.max_tokens = maxTokens + budget;
    delete body.temperature;
    delete body.top_p;
  }
  if (typeof request.user === 'string' && request.user.length > 0) body.metadata = { user_id: request.user };
  if (settings.stream) body.stream = true;
  return body;
}

/** Appends a message, merging it into the previous one when both have the same role. */
function appendMessage(
  messages: UserOrAssistantMessage[],
  role: 'user' | 'assistant',
  content: string | ContentBlockParam[],
): void {
  const last = messages[messages.length - 1];
  if (last === undefined || last.role !== role) {
    messages.push({ role, content });
    return;
  }
  const merged = typeof last.content === 'string' ? [textBlock(last.content)] : last.content;
  if (typeof content === 'string') merged.push(textBlock(content));
  else merged.push(...content);
  last.content = merged;
}

function userContent(content: ChatMessage['content'], provider: string): string | ContentBlockParam[] {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  const blocks: ContentBlockParam[] = [];
  for (const part of content) blocks.push(contentPartBlock(part, provider));
  return blocks;
}

function contentPartBlock(part: ChatContentPart, provider: string): ContentBlockParam {
  if (part.type === 'text') return textBlock(String((part as { text: unknown }).text ?? ''));
  if (part.type === 'image_url')
    return imageBlock((part as { image_url?: { url?: unknown } }).image_url?.url, provider);
  // Anthropic-native blocks (document, …) sent by a client that knows its upstream pass as is.
  return part as unknown as ContentBlockParam;
}

function imageBlock(url: unknown, provider: string): ImageBlockParam {
  if (typeof url !== 'string') throw invalidRequest(provider, 'image_url.url must be a string');
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const header = comma === -1 ? '' : url.slice(5, comma);
    if (!header.endsWith(';base64')) throw invalidRequest(provider, 'image_url data URLs must be base64-encoded');
    const mediaType = header.slice(0, header.indexOf(';'));
    return {
      type: 'image',
      source: { type: 'base64', media_type: mediaType as Base64ImageSource['media_type'], data: url.slice(comma + 1) },
    };
  }
  return { type: 'image', source: { type: 'url', url } };
}

function assistantContent(message: ChatMessage, provider: string): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = [];
  const text = textOf(message.content);
  if (text.length > 0) blocks.push(textBlock(text));
  if (message.tool_calls !== undefined) {
    for (const toolCall of message.tool_calls) blocks.push(toolUseBlock(toolCall, provider));
  }
  return blocks;
}

function toolUseBlock(toolCall: NonNullable<ChatMessage['tool_calls']>[number], provider: string): ToolUseBlockParam {
  const argumentsText = toolCall.function.arguments;
  let input: unknown = {};
  if (argumentsText !== undefined && argumentsText.trim().length > 0) {
    try {
      input = JSON.parse(argumentsText);
    } catch {
      throw invalidRequest(provider, `tool call ${toolCall.id}: arguments are not valid JSON`);
    }
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidRequest(provider, `tool call ${toolCall.id}: arguments must be a JSON object`);
  }
  return { type: 'tool_use', id: toolCall.id, name: toolCall.function.name, input };
}

function toolResultBlock(message: ChatMessage): ToolResultBlockParam {
  const content = message.content;
  const block: ToolResultBlockParam = { type: 'tool_result', tool_use_id: String(message.tool_call_id ?? '') };
  if (typeof content === 'string') block.content = content;
  else if (Array.isArray(content)) block.content = content.filter(isTextPart).map((part) => textBlock(part.text));
  return block;
}

function toAnthropicTool(tool: ChatTool): Tool {
  const definition: Tool = {
    name: tool.function.name,
    input_schema: (tool.function.parameters as Tool.InputSchema | undefined) ?? EMPTY_INPUT_SCHEMA,
  };
  if (tool.function.description !== undefined) definition.description = tool.function.description;
  return definition;
}

function toolChoiceOf(choice: unknown, disableParallel: boolean, provider: string): ToolChoice | undefined {
  let mapped: ToolChoice | undefined;
  if (choice === undefined || choice === null || choice === 'auto')
    mapped = disableParallel ? { type: 'auto' } : undefined;
  else if (choice === 'none') return { type: 'none' };
  else if (choice === 'required') mapped = { type: 'any' };
  else if (
    typeof choice === 'object' &&
    typeof (choice as { function?: { name?: unknown } }).function?.name === 'string'
  ) {
    mapped = { type: 'tool', name: (choice as { function: { name: string } }).function.name };
  } else throw invalidRequest(provider, 'tool_choice: unsupported value');
  if (mapped !== undefined && disableParallel) mapped.disable_parallel_tool_use = true;
  return mapped;
}

function stopSequencesOf(stop: ChatCompletionRequest['stop']): string[] | undefined {
  if (typeof stop === 'string') return stop.length > 0 ? [stop] : undefined;
  if (Array.isArray(stop)) {
    const sequences = stop.filter((sequence) => typeof sequence === 'string' && sequence.length > 0);
    return sequences.length > 0 ? sequences : undefined;
  }
  return undefined;
}

/** The text of a message's content: a string, or its text parts joined by newlines. */
function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  let text = '';
  for (const part of content) {
    if (isTextPart(part)) text = text.length === 0 ? part.text : `${text}\n${part.text}`;
  }
  return text;
}

function isTextPart(part: ChatContentPart): part is { type: 'text'; text: string } {
  return part.type === 'text' && typeof (part as { text?: unknown }).text === 'string';
}

function textBlock(text: string): TextBlockParam {
  return { type: 'text', text };
}
