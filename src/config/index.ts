export { ConfigError, formatIssue, formatPath, type ConfigIssue } from './config-error.ts';
export {
  configSchema,
  providerEntrySchema,
  circuitBreakerSchema,
  PROVIDER_TYPES,
  type ProviderEntry,
  type RouterConfig,
  type ServerConfig,
  type SwitchboardConfig,
  type SwitchboardConfigInput,
} from './config-schema.ts';
export { demoConfig, demoConfigInput } from './demo-config.ts';
export { interpolateEnv, type InterpolationResult } from './interpolate-env.ts';
export { loadConfigFile, parseConfig, validateConfig, type ParseConfigOptions } from './load-config.ts';
