export {
  createMetrics,
  NO_PROVIDER_LABEL,
  OTHER_MODEL_LABEL,
  MAX_MODEL_LABELS,
  type GatewayMetrics,
  type MetricsOptions,
  type RefusedRequestObservation,
  type RequestObservation,
  type TokenUsage,
} from './gateway-metrics.ts';
export type { RouterEventSource } from './router-event-source.ts';
