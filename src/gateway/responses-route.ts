import type { Handler } from 'hono';
import type { CallOptions, ProviderAdapter } from '../contract/provider-adapter.ts';
import { keepRawJson, rawJson } from '../contract/provider-adapter.ts';
import { unsupportedParameterPolicyOf } from '../contract/unsupported-parameters.ts';
import { beforeUpstream } from '../contract/provider-error.ts';
import type {
  ResponsesItem,
  ResponsesRequest,
  ResponsesResponse,
  ResponsesStreamEvent,
  ResponsesUsage,
} from '../contract/responses-types.ts';
import type { WireEvent } from '../contract/wire-event.ts';
import type { TokenUsage } from '../metrics/gateway-metrics.ts';
import type { RoutedCallOptions } from '../router/types.ts';
import { ChatStreamToResponsesEvents } from '../translate/responses-chat/chat-stream-to-responses-events.ts';
import { chatToResponsesResponse } from '../translate/responses-chat/chat-to-responses-response.ts';
import { newResponseFrame } from '../translate/responses-chat/response-frame.ts';
import { responsesToChatRequest } from '../translate/responses-chat/responses-to-chat-request.ts';
import {
  endpointHandler,
  invalidRequest,
  requireModel,
  servedHeaders,
  writeJson,
  type EndpointSettings,
} from './endpoint-handler.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { CLIENT_CLOSED_STATUS, mapRoutingError } from './map-routing-error.ts';
import { LeadBufferedStream } from './lead-buffered-stream.ts';
import { GatewayError } from './openai-error.ts';
import { ResponseStore, type StoredResponse } from './response-store.ts';
import { writeWireStream } from './wire-stream-writer.ts';

/** Settings of `responsesHandler`: the endpoints' shared settings and the store of served responses. */
export interface ResponsesSettings extends EndpointSettings {
  /** Where response ids are remembered for `previous_response_id`. Default: a store with the default bounds. */
  store?: ResponseStore | undefined;
}

/** Stream events that end a response. */
const END_TYPES = new Set(['response.completed', 'response.incomplete', 'response.failed']);
/** Stream events that announce a response before any output: held back so the router can still fall back. */
const LEAD_TYPES = new Set(['response.created', 'response.in_progress', 'response.queued']);
const isLeadEvent = (event: WireEvent<ResponsesStreamEvent>): boolean => LEAD_TYPES.has(event.value.type);

/** A routed non-streamed answer: the response, and the conversation to keep when it was translated. */
interface Served {
  response: ResponsesResponse;
  conversation?: ResponsesItem[] | undefined;
}

/**
 * `POST /v1/responses`, the OpenAI Responses API: `openai` providers get the body as the client
 * sent it (the model rewritten for aliases) and their answer or events back unchanged; any
 * other provider gets the stateless subset translated to Chat Completions and its answer
 * translated back into a `response` object or Responses stream events. `previous_response_id`
 * goes to the provider that created that response (remembered in a bounded store) or gets 400
 * `previous_response_not_found`; for a translated response the gateway keeps the conversation
 * (bounded) and sends it in full. Routed like chat; errors in OpenAI's shape.
 *
 * @example
 * ```ts
 * app.post('/v1/responses', responsesHandler(settings));
 * ```
 */
export function responsesHandler(settings: ResponsesSettings): Handler<GatewayEnv> {
  const { router } = settings;
  const store = settings.store ?? new ResponseStore();
  return endpointHandler(settings, { endpoint: '/v1/responses', shape: 'openai' }, async (served) => {
    const { body, text, sink, outcome, routedOptions, scrubber } = served;
    const request = keepRawJson(validateResponsesRequest(body), text);
    const model = request.model;
    outcome.model = model;
    outcome.stream = request.stream === true;
    const keep = request.store !== false;
    const previous = previousResponse(store, request.previous_response_id);
    if (previous?.conversation === undefined && previous !== undefined) {
      const creator = router.providersOf(model).find((adapter) => adapter.name === previous.provider);
      if (creator !== undefined && creator.responses === undefined) throw conversationNotKept(previous);
    }
    const options: RoutedCallOptions =
      previous === undefined
        ? routedOptions
        : {
            ...routedOptions,
            supports: (adapter) => adapter.name === previous.provider,
            fallbacks: {},
            contextWindowFallbacks: {},
            contentPolicyFallbacks: {},
          };
    /** The request for `adapter`'s upstream model: the client's object itself when the name is the same. */
    const passThrough = (upstreamModel: string): ResponsesRequest =>
      upstreamModel === request.model ? request : { ...request, model: upstreamModel };
    /** The conversation a translating provider is sent: the kept one, then this input (references resolved). */
    let conversation: ResponsesItem[] | undefined;
    const conversationFor = (): ResponsesItem[] => (conversation ??= expandConversation(request, previous, store));
    const translate = (adapter: ProviderAdapter, callOptions: CallOptions, upstreamModel: string) =>
      beforeUpstream(adapter.name, () =>
        responsesToChatRequest(
          { ...request, model: upstreamModel, input: conversationFor() },
          unsupportedParameterPolicyOf(adapter, callOptions),
        ),
      );

    if (!outcome.stream) {
      const routed = await router.call<Served>(
        model,
        async (adapter, callOptions, upstreamModel) => {
          if (adapter.responses !== undefined)
            return { response: await adapter.responses(passThrough(upstreamModel), callOptions) };
          const chatRequest = translate(adapter, callOptions, upstreamModel);
          const completion = await adapter.chat(chatRequest, callOptions);
          const response = chatToResponsesResponse(completion, request, newResponseFrame());
          return { response, conversation: [...conversationFor(), ...response.output] };
        },
        options,
        ({ response }) => tokenUsageOf(response.usage),
      );
      outcome.provider = routed.provider;
      outcome.attempts = routed.attempts;
      const { response, conversation: kept } = routed.result;
      outcome.usage = tokenUsageOf(response.usage);
      if (typeof response.model === 'string') outcome.responseModel = response.model;
      if (keep && typeof response.id === 'string') store.remember(response.id, routed.provider, kept);
      if (sink.closed) {
        outcome.status = CLIENT_CLOSED_STATUS;
        return;
      }
      writeJson(sink, 200, rawJson(response) ?? JSON.stringify(response), servedHeaders(outcome, model));
      outcome.status = 200;
      return;
    }

    const usage: TokenUsage = {};
    let translator: ChatStreamToResponsesEvents | undefined;
    const routed = await router.callStream<WireEvent<ResponsesStreamEvent>>(
      model,
      async (adapter, callOptions, upstreamModel) => {
        translator = undefined;
        if (adapter.responsesStream !== undefined)
          return new LeadBufferedStream(
            await adapter.responsesStream(passThrough(upstreamModel), callOptions),
            isLeadEvent,
          );
        const chatRequest = translate(adapter, callOptions, upstreamModel);
        chatRequest.stream = true;
        chatRequest.stream_options = { include_usage: true };
        const events = new ChatStreamToResponsesEvents(
          await adapter.stream(chatRequest, callOptions),
          request,
          newResponseFrame(),
        );
        translator = events;
        return new LeadBufferedStream(events, isLeadEvent);
      },
      options,
      (event) => (END_TYPES.has(event.value.type) ? Object.assign(usage, usageOfEvent(event.value)) : undefined),
    );
    outcome.provider = routed.provider;
    outcome.attempts = routed.attempts;
    outcome.usage = usage;
    let nextSequence = 0;
    await writeWireStream(sink, routed.stream, servedHeaders(outcome, model), outcome, {
      observe(event) {
        const value = event.value;
        if (typeof value.sequence_number === 'number') nextSequence = value.sequence_number + 1;
        const answered = (value.response as { model?: unknown } | undefined)?.model;
        if (typeof answered === 'string') outcome.responseModel = answered;
        if (!END_TYPES.has(value.type)) return;
        Object.assign(usage, usageOfEvent(value));
        const id = (value.response as { id?: unknown } | undefined)?.id;
        if (keep && typeof id === 'string') {
          const served = translator;
          const kept = served === undefined ? undefined : [...(conversation ?? []), ...served.output];
          store.remember(id, routed.provider, kept);
        }
      },
      errorEvent(error) {
        const mapped = mapRoutingError(error, scrubber);
        const data = {
          type: 'error',
          sequence_number: nextSequence,
          code: mapped.code,
          message: mapped.message,
          param: mapped.param,
          error: { type: mapped.type, code: mapped.code, message: mapped.message, param: mapped.param },
        };
        return { event: 'error', data: JSON.stringify(data), mapped };
      },
    });
  });
}

/** Checks the fields of a Responses body the gateway reads; 400 naming the field otherwise. */
export function validateResponsesRequest(body: Record<string, unknown>): ResponsesRequest {
  requireModel(body);
  const input = body.input;
  if (input !== undefined && typeof input !== 'string' && !Array.isArray(input))
    throw invalidRequest("'input' must be a string or an array of items.", 'input');
  if (Array.isArray(input)) {
    input.forEach((item: unknown, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        throw invalidRequest(`input.${index}: expected an item object.`, `input[${index}]`);
    });
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
    throw invalidRequest("'stream' must be a boolean.", 'stream');
  const previous = body.previous_response_id;
  if (previous !== undefined && previous !== null && (typeof previous !== 'string' || previous.length > 256))
    throw invalidRequest("'previous_response_id' must be a response id.", 'previous_response_id');
  if (body.tools !== undefined && !Array.isArray(body.tools))
    throw invalidRequest("'tools' must be an array.", 'tools');
  return body as ResponsesRequest;
}

/** OpenAI-style token counts of Responses usage. */
export function tokenUsageOf(usage: ResponsesUsage | null | undefined): TokenUsage {
  if (usage === null || usage === undefined) return {};
  return { prompt_tokens: usage.input_tokens, completion_tokens: usage.output_tokens };
}

function usageOfEvent(value: ResponsesStreamEvent): TokenUsage {
  return tokenUsageOf((value.response as { usage?: ResponsesUsage | null } | undefined)?.usage);
}

/** The remembered response `id` refers to; 400 `previous_response_not_found` when none. */
function previousResponse(store: ResponseStore, id: string | null | undefined): StoredResponse | undefined {
  if (id === undefined || id === null) return undefined;
  const found = store.lookup(id);
  if (found !== undefined) return found;
  throw new GatewayError(400, `Previous response with id '${id}' not found.`, {
    type: 'invalid_request_error',
    param: 'previous_response_id',
    code: 'previous_response_not_found',
  });
}

/** The 400 of a `previous_response_id` whose translated conversation was too large to keep. */
function conversationNotKept(previous: StoredResponse): GatewayError {
  return new GatewayError(
    400,
    `The conversation of that previous response (served by '${previous.provider}') was too large to keep; send the whole input instead.`,
    { type: 'invalid_request_error', param: 'previous_response_id', code: 'previous_response_not_found' },
  );
}

/**
 * The whole conversation a stateless provider must be sent: the kept conversation of the
 * previous response (its instructions are not carried over, as with OpenAI), then this request's
 * input, with `item_reference`s to kept items replaced by the items.
 */
function expandConversation(
  request: ResponsesRequest,
  previous: StoredResponse | undefined,
  store: ResponseStore,
): ResponsesItem[] {
  const items: ResponsesItem[] = [...(previous?.conversation ?? [])];
  const input = request.input;
  if (typeof input === 'string') items.push({ type: 'message', role: 'user', content: input });
  else if (Array.isArray(input)) {
    for (const item of input) {
      const found = item.type === 'item_reference' && typeof item.id === 'string' ? store.item(item.id) : undefined;
      items.push(found?.item ?? item);
    }
  }
  return items;
}
