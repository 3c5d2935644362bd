import type { Handler } from 'hono';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../contract/embeddings-types.ts';
import { keepRawJson, rawJson, type ProviderAdapter } from '../contract/provider-adapter.ts';
import {
  endpointHandler,
  invalidRequest,
  requireModel,
  servedHeaders,
  writeJson,
  type EndpointSettings,
} from './endpoint-handler.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { CLIENT_CLOSED_STATUS } from './map-routing-error.ts';
import { GatewayError } from './openai-error.ts';

/**
 * `POST /v1/embeddings`, OpenAI's Embeddings API: routed like chat (fallback on retryable
 * failures, health, metrics, usage counted) among the model's providers that can embed
 * (`openai`, `mock`); the body goes to an `openai` upstream as sent. A model whose providers
 * cannot embed gets 404 `model_not_found`.
 *
 * @example
 * ```ts
 * app.post('/v1/embeddings', embeddingsHandler(settings));
 * ```
 */
export function embeddingsHandler(settings: EndpointSettings): Handler<GatewayEnv> {
  const { router } = settings;
  return endpointHandler(settings, { endpoint: '/v1/embeddings', shape: 'openai' }, async (served) => {
    const { body, text, sink, outcome, routedOptions } = served;
    const model = requireModel(body);
    const input = body.input;
    if (input === undefined)
      throw invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
    if (typeof input !== 'string' && !Array.isArray(input))
      throw invalidRequest("'input' must be a string or an array.", 'input');
    const request = keepRawJson(body as EmbeddingsRequest, text);
    outcome.model = model;
    const providers = router.providersOf(model);
    if (providers.length > 0 && !providers.some((adapter) => adapter.embeddings !== undefined)) {
      throw new GatewayError(404, `No provider of model '${model}' serves embeddings.`, {
        type: 'invalid_request_error',
        code: 'model_not_found',
        param: 'model',
      });
    }
    routedOptions.supports = servesEmbeddings;
    const routed = await router.call<EmbeddingsResponse>(
      model,
      (adapter, callOptions, upstreamModel) =>
        adapter.embeddings!(upstreamModel === model ? request : { ...request, model: upstreamModel }, callOptions),
      routedOptions,
      (response) => response.usage,
    );
    outcome.provider = routed.provider;
    outcome.attempts = routed.attempts;
    outcome.usage = routed.result.usage;
    if (typeof routed.result.model === 'string') outcome.responseModel = routed.result.model;
    if (sink.closed) {
      outcome.status = CLIENT_CLOSED_STATUS;
      return;
    }
    writeJson(sink, 200, rawJson(routed.result) ?? JSON.stringify(routed.result), servedHeaders(outcome, model));
    outcome.status = 200;
  });
}

/** Only providers that serve the endpoint are chosen. */
const servesEmbeddings = (adapter: ProviderAdapter): boolean => adapter.embeddings !== undefined;
