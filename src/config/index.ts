/**
 * The config file: a strict zod schema (one file per section in `schema/`), YAML/JSON loading,
 * `${ENV}` interpolation and the embedded demo config.
 *
 * @example
 * ```ts
 * import { loadConfigFile } from 'switchboard/config';
 * const config = await loadConfigFile('switchboard.yaml');
 * ```
 */
export { ConfigError, ConfigurationError, formatIssue, formatPath, type ConfigIssue } from './config-error.ts';
export {
  configSchema,
  providerEntrySchema,
  providerEntrySchemas,
  circuitBreakerSchema,
  circuitBreakerSettingsSchema,
  serverSchema,
  routerSchema,
  stateSchema,
  PROVIDER_TYPES,
  type ProviderEntry,
  type ProviderType,
  type RouterConfig,
  type ServerConfig,
  type StateConfig,
  type SwitchboardConfig,
  type SwitchboardConfigInput,
} from './config-schema.ts';
export { demoConfig, demoConfigInput } from './demo-config.ts';
export { interpolateEnv, type InterpolationResult } from './interpolate-env.ts';
export {
  loadConfigFile,
  parseConfig,
  parseProviderEntry,
  validateConfig,
  type ParseConfigOptions,
} from './load-config.ts';
export { toConfigIssues } from './schema-issues.ts';
