/**
 * Wraps a routed endpoint's handler in OpenTelemetry spans (see `RequestTracer`), reading what it
 * served from the request's log fields once it has answered.
 */
import type { Handler } from 'hono';
import type { RequestTracer } from '../tracing/request-tracer.ts';
import type { GatewayEnv } from './gateway-env.ts';

/**
 * `handler` inside a request span of `operation` (with a CLIENT span per upstream attempt) when the
 * host registered an OpenTelemetry SDK; otherwise `handler` itself runs, at the cost of one check.
 *
 * @example
 * ```ts
 * app.post('/v1/embeddings', traced(tracer, '/v1/embeddings', 'embeddings', embeddingsHandler(settings)));
 * ```
 */
export function traced(
  tracer: RequestTracer,
  route: string,
  operation: string,
  handler: Handler<GatewayEnv>,
): Handler<GatewayEnv> {
  return (context, next) => {
    if (!tracer.enabled) return handler(context, next);
    return tracer.run(
      {
        operation,
        method: 'POST',
        route,
        requestId: context.get('requestId'),
        headers: traceHeaders(context.req.header('traceparent'), context.req.header('tracestate')),
      },
      async () => handler(context, next),
      () => {
        const fields = context.get('logFields');
        return {
          status: fields?.status ?? context.res.status,
          requestModel: fields?.model,
          responseModel: fields?.responseModel,
          provider: fields?.provider,
          attempts: fields?.attempts,
          errorCode: fields?.errorCode,
          stream: fields?.stream,
          usage: fields?.usage,
        };
      },
    );
  };
}

/** The W3C trace-context headers of a request, when it sent them (for the host's propagator). */
function traceHeaders(parent: string | undefined, state: string | undefined): Record<string, string> | undefined {
  if (parent === undefined) return undefined;
  return state === undefined ? { traceparent: parent } : { traceparent: parent, tracestate: state };
}
