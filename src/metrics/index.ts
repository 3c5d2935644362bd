export { createMetrics, NO_PROVIDER_LABEL, type GatewayMetrics, type MetricsOptions, type RequestObservation, type TokenUsage } from './gateway-metrics.ts';
export type { RouterEventSource } from './router-event-source.ts';
