import type { Handler } from 'hono';
import type { CallOptions } from '../contract/provider-adapter.ts';
import { keepRawJson, rawJson } from '../contract/provider-adapter.ts';
import type {
  MessagesRequest,
  MessagesResponse,
  MessagesStreamEvent,
  MessagesUsage,
} from '../contract/messages-types.ts';
import { messagesEventHasContent } from '../contract/messages-stream-content.ts';
import { unsupportedParameterPolicyOf } from '../contract/unsupported-parameters.ts';
import { beforeUpstream } from '../contract/provider-error.ts';
import type { WireEvent } from '../contract/wire-event.ts';
import type { TokenUsage } from '../metrics/gateway-metrics.ts';
import { chatToMessagesResponse } from '../translate/messages-chat/chat-to-messages-response.ts';
import { ChatStreamToMessagesEvents } from '../translate/messages-chat/chat-stream-to-messages-events.ts';
import { messagesToChatRequest } from '../translate/messages-chat/messages-to-chat-request.ts';
import {
  endpointHandler,
  invalidRequest,
  requireModel,
  servedHeaders,
  writeJson,
  type EndpointSettings,
} from './endpoint-handler.ts';
import { errorBodyIn } from './error-shape.ts';
import type { GatewayContext, GatewayEnv } from './gateway-env.ts';
import { LeadBufferedStream } from './lead-buffered-stream.ts';
import { CLIENT_CLOSED_STATUS, mapRoutingError } from './map-routing-error.ts';
import { writeWireStream } from './wire-stream-writer.ts';

/** Client headers an `anthropic` upstream receives as sent. */
const FORWARDED_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;
/**
 * Events before the first content (`message_start`, pings, an empty block's start): held back so the
 * stream commits to its provider at its first content, and a provider that stalls or fails before it
 * can still be fallen back from.
 */
const isLeadEvent = (event: WireEvent<MessagesStreamEvent>): boolean => !messagesEventHasContent(event);

/**
 * `POST /v1/messages`, the Anthropic Messages API: `anthropic` providers get the body as the
 * client sent it (with its `anthropic-version` / `anthropic-beta` headers) and their answer or
 * events back unchanged; any other provider gets it translated to Chat Completions and its
 * answer translated back (text, tools, tool results, images, stop, usage, stream events).
 * Routed like chat (fallbacks, health, metrics); errors in Anthropic's shape.
 *
 * @example
 * ```ts
 * app.post('/v1/messages', messagesHandler(settings));
 * ```
 */
export function messagesHandler(settings: EndpointSettings): Handler<GatewayEnv> {
  const { router } = settings;
  return endpointHandler(settings, { endpoint: '/v1/messages', shape: 'anthropic' }, async (served) => {
    const { body, text, sink, outcome, routedOptions, context, scrubber } = served;
    const request = keepRawJson(validateMessagesRequest(body), text);
    const model = request.model;
    outcome.model = model;
    outcome.stream = request.stream === true;
    const forwarded = forwardedHeaders(context);
    /** The request with the model this provider is sent (an alias's upstream name); the client's own object when the same. */
    const forModel = (upstreamModel: string): MessagesRequest =>
      upstreamModel === request.model ? request : { ...request, model: upstreamModel };

    if (!outcome.stream) {
      const routed = await router.call<MessagesResponse>(
        model,
        async (adapter, callOptions, upstreamModel) => {
          if (adapter.messages !== undefined)
            return adapter.messages(forModel(upstreamModel), withHeaders(callOptions, forwarded));
          const chatRequest = beforeUpstream(adapter.name, () =>
            messagesToChatRequest(forModel(upstreamModel), unsupportedParameterPolicyOf(adapter, callOptions)),
          );
          return chatToMessagesResponse(await adapter.chat(chatRequest, callOptions));
        },
        routedOptions,
        (message) => tokenUsageOf(message.usage),
      );
      outcome.provider = routed.provider;
      outcome.attempts = routed.attempts;
      outcome.usage = tokenUsageOf(routed.result.usage);
      outcome.responseModel = stringOrUndefined(routed.result.model);
      if (sink.closed) {
        outcome.status = CLIENT_CLOSED_STATUS;
        return;
      }
      writeJson(sink, 200, rawJson(routed.result) ?? JSON.stringify(routed.result), servedHeaders(outcome, model));
      outcome.status = 200;
      return;
    }

    const usage: TokenUsage = {};
    const routed = await router.callStream<WireEvent<MessagesStreamEvent>>(
      model,
      async (adapter, callOptions, upstreamModel) => {
        if (adapter.messagesStream !== undefined)
          return new LeadBufferedStream(
            await adapter.messagesStream(forModel(upstreamModel), withHeaders(callOptions, forwarded)),
            isLeadEvent,
          );
        const chatRequest = beforeUpstream(adapter.name, () =>
          messagesToChatRequest(forModel(upstreamModel), unsupportedParameterPolicyOf(adapter, callOptions)),
        );
        chatRequest.stream = true;
        chatRequest.stream_options = { include_usage: true };
        return new LeadBufferedStream(
          new ChatStreamToMessagesEvents(await adapter.stream(chatRequest, callOptions), model),
          isLeadEvent,
        );
      },
      routedOptions,
      // Input tokens arrive in message_start, output tokens in message_delta: the usage is whole at message_delta.
      (event) => (accumulateUsage(usage, event.value) ? usage : undefined),
    );
    outcome.provider = routed.provider;
    outcome.attempts = routed.attempts;
    outcome.usage = usage;
    await writeWireStream(sink, routed.stream, servedHeaders(outcome, model), outcome, {
      observe(event) {
        if (event.value.type === 'message_start')
          outcome.responseModel ??= stringOrUndefined((event.value.message as { model?: unknown } | undefined)?.model);
      },
      errorEvent(error) {
        const mapped = mapRoutingError(error, scrubber);
        return { event: 'error', data: JSON.stringify(errorBodyIn('anthropic', mapped)), mapped };
      },
    });
  });
}

/** Checks the fields of a Messages body the gateway reads; 400 naming the field otherwise. */
export function validateMessagesRequest(body: Record<string, unknown>): MessagesRequest {
  requireModel(body);
  const messages = body.messages;
  if (messages === undefined)
    throw invalidRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages) || messages.length === 0)
    throw invalidRequest("'messages' must be a non-empty array.", 'messages');
  messages.forEach((message: unknown, index) => {
    const record = message as { role?: unknown; content?: unknown } | null;
    if (record === null || typeof record !== 'object' || typeof record.role !== 'string')
      throw invalidRequest(`messages.${index}.role: expected 'user' or 'assistant'.`, `messages.${index}.role`);
    if (typeof record.content !== 'string' && !Array.isArray(record.content))
      throw invalidRequest(
        `messages.${index}.content: expected a string or an array of blocks.`,
        `messages.${index}.content`,
      );
    if (Array.isArray(record.content)) requireBlocks(record.content, `messages.${index}.content`);
  });
  if (body.system !== undefined && typeof body.system !== 'string') {
    if (!Array.isArray(body.system)) throw invalidRequest("'system' must be a string or an array of blocks.", 'system');
    requireBlocks(body.system, 'system');
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) throw invalidRequest("'tools' must be an array of tools.", 'tools');
    body.tools.forEach((tool: unknown, index) => {
      if (!isRecord(tool)) throw invalidRequest(`tools.${index}: expected a tool object.`, `tools.${index}`);
    });
  }
  for (const name of ['tool_choice', 'metadata'] as const) {
    if (body[name] !== undefined && !isRecord(body[name])) throw invalidRequest(`'${name}' must be an object.`, name);
  }
  const maxTokens = body.max_tokens;
  if (maxTokens === undefined)
    throw invalidRequest("Missing required parameter: 'max_tokens'.", 'max_tokens', 'missing_required_parameter');
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
    throw invalidRequest("'max_tokens' must be a positive integer.", 'max_tokens');
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    throw invalidRequest("'stream' must be a boolean.", 'stream');
  return body as MessagesRequest;
}

/** `value` when it is a non-empty string (a model name read from upstream JSON). */
function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Content blocks must be objects with a string `type`; a `tool_result`'s own content blocks too. */
function requireBlocks(blocks: readonly unknown[], param: string): void {
  blocks.forEach((block, index) => {
    if (!isRecord(block) || typeof block.type !== 'string')
      throw invalidRequest(`${param}.${index}: expected a block object with a string 'type'.`, `${param}.${index}`);
    if (Array.isArray(block.content)) requireBlocks(block.content, `${param}.${index}.content`);
  });
}

/** OpenAI-style token counts of Anthropic usage (cache reads and writes count as input). */
export function tokenUsageOf(usage: MessagesUsage | undefined): TokenUsage {
  if (usage === undefined) return {};
  const input =
    (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  return { prompt_tokens: input, completion_tokens: usage.output_tokens };
}

/** Adds a stream event's token counts to `usage`; true for the closing `message_delta`. */
function accumulateUsage(usage: TokenUsage, value: MessagesStreamEvent): boolean {
  if (value.type === 'message_start') {
    const start = (value.message as { usage?: MessagesUsage } | undefined)?.usage;
    if (start !== undefined) Object.assign(usage, tokenUsageOf(start));
    return false;
  }
  if (value.type !== 'message_delta') return false;
  const delta = value.usage as Partial<MessagesUsage> | undefined;
  if (typeof delta?.output_tokens === 'number') usage.completion_tokens = delta.output_tokens;
  if (typeof delta?.input_tokens === 'number') usage.prompt_tokens = tokenUsageOf(delta as MessagesUsage).prompt_tokens;
  return true;
}

function forwardedHeaders(context: GatewayContext): Record<string, string> | undefined {
  let headers: Record<string, string> | undefined;
  for (const name of FORWARDED_HEADERS) {
    const value = context.req.header(name);
    if (value !== undefined && value.length > 0 && value.length <= 1024) (headers ??= {})[name] = value;
  }
  return headers;
}

function withHeaders(callOptions: CallOptions, extra: Record<string, string> | undefined): CallOptions {
  if (extra === undefined) return callOptions;
  // Copied, not spread: `{ ...callOptions, headers }` costs microseconds on Node 20 (docs/performance.md).
  const copy = Object.assign({}, callOptions);
  copy.headers = Object.assign({}, callOptions.headers, extra);
  return copy;
}
