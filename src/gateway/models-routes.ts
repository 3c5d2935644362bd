import { Hono } from 'hono';
import type { RegisteredModel, Router } from '../router/router.ts';
import type { GatewayEnv } from './gateway-env.ts';

/** Longest wait for the upstream lists of `"*"` providers not yet read by a health probe. */
const LIST_TIMEOUT_MS = 5_000;

/** Options of `modelsRoutes`. */
export interface ModelsRoutesOptions {
  router: Router;
  /** `created` of every listed model, in seconds since the epoch. Default: when the routes were built. */
  createdSeconds?: number;
}

/**
 * `GET /v1/models` in OpenAI's list shape: every public model name (aliases included) and, for
 * providers serving `"*"`, the models their upstream lists (read by the health probe, or now
 * when none was read yet); `owned_by` is the provider that lists the model.
 */
export function modelsRoutes(options: ModelsRoutesOptions): Hono<GatewayEnv> {
  const { router } = options;
  const created = options.createdSeconds ?? Math.floor(Date.now() / 1000);
  const app = new Hono<GatewayEnv>();
  const listed = (): Promise<RegisteredModel[]> => router.listedModels(AbortSignal.timeout(LIST_TIMEOUT_MS));
  app.get('/v1/models', async (context) =>
    context.json({
      object: 'list',
      data: (await listed()).map((model) => ({ id: model.id, object: 'model', created, owned_by: model.ownedBy })),
    }),
  );
  app.get('/v1/models/:model', async (context) => {
    const id = context.req.param('model');
    const model = (await listed()).find((candidate) => candidate.id === id);
    if (model === undefined) {
      return context.json(
        {
          error: {
            message: `The model '${id}' does not exist or no provider serves it.`,
            type: 'invalid_request_error',
            param: 'model',
            code: 'model_not_found',
          },
        },
        404,
      );
    }
    return context.json({ id: model.id, object: 'model', created, owned_by: model.ownedBy });
  });
  return app;
}
