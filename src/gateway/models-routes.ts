import { Hono } from 'hono';
import type { Router } from '../router/router.ts';
import type { GatewayEnv } from './gateway-env.ts';

/** Options of `modelsRoutes`. */
export interface ModelsRoutesOptions {
  router: Router;
  /** `created` of every listed model, in seconds since the epoch. Default: when the routes were built. */
  createdSeconds?: number;
}

/**
 * `GET /v1/models` in OpenAI's list shape: every registered model id, `owned_by` the first
 * provider (by name) that lists it.
 */
export function modelsRoutes(options: ModelsRoutesOptions): Hono<GatewayEnv> {
  const { router } = options;
  const created = options.createdSeconds ?? Math.floor(Date.now() / 1000);
  const app = new Hono<GatewayEnv>();
  app.get('/v1/models', (context) =>
    context.json({
      object: 'list',
      data: router
        .registeredModels()
        .map((model) => ({ id: model.id, object: 'model', created, owned_by: model.ownedBy })),
    }),
  );
  app.get('/v1/models/:model', (context) => {
    const id = context.req.param('model');
    const model = router.registeredModels().find((candidate) => candidate.id === id);
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
