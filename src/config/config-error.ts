export { ConfigurationError, formatIssue, formatPath, type ConfigIssue } from '../contract/configuration-error.ts';
import { ConfigurationError } from '../contract/configuration-error.ts';

/**
 * The error of an unusable config: the same class as `ConfigurationError` (its older name here).
 * Catch either; `ConfigurationError.isInstance(error)` also works across package copies.
 */
export const ConfigError = ConfigurationError;
/** The error of an unusable config: the same class as `ConfigurationError` (its older name here). */
export type ConfigError = ConfigurationError;
