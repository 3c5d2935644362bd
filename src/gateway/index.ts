export { createGateway, type GatewayOptions } from './create-gateway.ts';
export { adminRoutes, type AdminRoutesOptions, type ProviderFactory } from './admin-routes.ts';
export {
  bearerAuth,
  bearerToken,
  createTokenMatcher,
  requireBearerToken,
  type BearerAuthOptions,
  type TokenMatcher,
} from './bearer-auth.ts';
export { bodyLimit, limitDeclaredBodySize, readBody, payloadTooLarge, type BodyLimitOptions } from './body-limit.ts';
export { chatCompletionsHandler, type ChatCompletionsOptions } from './chat-completions-route.ts';
export { chatRequestSchema, parseChatRequest } from './chat-request-schema.ts';
export type { GatewayContext, GatewayEnv, RequestLogFields } from './gateway-env.ts';
export { CLIENT_CLOSED_STATUS, mapRoutingError } from './map-routing-error.ts';
export { GatewayError, isOpenAIErrorBody, openAIErrorBody, type OpenAIErrorBody } from './openai-error.ts';
export { limitRate, rateLimit, type RateLimitOptions } from './rate-limit.ts';
export { requestContext, type RequestContextOptions } from './request-context.ts';
export { requestGuard, type RequestCheck } from './request-guard.ts';
export { MAX_REQUEST_ID_LENGTH, sanitizeRequestId } from './request-id.ts';
export { jsonLineLogger, silentLogger, type RequestLogger, type RequestLogRecord } from './request-log.ts';
export { modelsRoutes, type ModelsRoutesOptions } from './models-routes.ts';
export { cors, CORS_EXPOSED_HEADERS, type CorsOptions } from './cors.ts';
export { statusRoutes, type StatusRoutesOptions } from './status-routes.ts';
export {
  createTokenBucketLimiter,
  type RateLimitDecision,
  type TokenBucketLimiter,
  type TokenBucketOptions,
} from './token-bucket-limiter.ts';
