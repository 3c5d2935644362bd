import type { Handler } from 'hono';
import { withUpstreamModel } from './upstream-model.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { keepRawJson, rawJson, type ProviderAdapter } from '../contract/provider-adapter.ts';
import type { MessagesRequest } from '../contract/messages-types.ts';
import { endpointHandler, requireModel, servedHeaders, writeJson, type EndpointSettings } from './endpoint-handler.ts';
import { GatewayError } from './openai-error.ts';
import { CLIENT_CLOSED_STATUS } from './map-routing-error.ts';

/**
 * `POST /v1/messages/count_tokens`: passed as sent to an `anthropic` provider of the model
 * (routed and falling back like any call); 404 `not_found_error` when the model has none, since
 * only Anthropic can count its own tokens.
 *
 * @example
 * ```ts
 * app.post('/v1/messages/count_tokens', countTokensHandler(settings));
 * ```
 */
export function countTokensHandler(settings: EndpointSettings): Handler<GatewayEnv> {
  const { router } = settings;
  return endpointHandler(settings, { endpoint: '/v1/messages/count_tokens', shape: 'anthropic' }, async (served) => {
    const { body, text, sink, outcome, routedOptions } = served;
    const model = requireModel(body);
    const request = keepRawJson(body as MessagesRequest, text);
    outcome.model = model;
    if (!router.providersOf(model).some((adapter) => adapter.countTokens !== undefined)) {
      throw new GatewayError(404, `No provider of model '${model}' can count tokens (only anthropic providers can).`, {
        type: 'not_found_error',
        code: 'model_not_found',
        param: 'model',
      });
    }
    routedOptions.supports = countsTokens;
    const routed = await router.call(
      model,
      (adapter, callOptions, upstreamModel) =>
        adapter.countTokens!(withUpstreamModel(request, upstreamModel), callOptions),
      routedOptions,
    );
    outcome.provider = routed.provider;
    outcome.attempts = routed.attempts;
    if (sink.closed) {
      outcome.status = CLIENT_CLOSED_STATUS;
      return;
    }
    const result = routed.result as object;
    writeJson(sink, 200, rawJson(result) ?? JSON.stringify(result), servedHeaders(outcome, model));
    outcome.status = 200;
  });
}

/** Only providers that serve the endpoint are chosen. */
const countsTokens = (adapter: ProviderAdapter): boolean => adapter.countTokens !== undefined;
