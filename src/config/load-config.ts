import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, formatPath } from './config-error.ts';
import { MAX_CONFIG_DEPTH, pathTooDeep } from './config-depth.ts';
import { configSchema, providerEntrySchema, type ProviderEntry, type SwitchboardConfig } from './config-schema.ts';
import { interpolateEnv } from './interpolate-env.ts';
import { toConfigIssues } from './schema-issues.ts';

/** Options of `parseConfig` and `loadConfigFile`. */
export interface ParseConfigOptions {
  /** Variables for `${NAME}` interpolation. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the config came from, for error messages. */
  source?: string;
}

/**
 * Validates an already parsed config object: `${ENV}` interpolation first, then the zod
 * schema with its defaults. Throws a `ConfigurationError` listing every bad field by path (an unknown key too).
 *
 * @example
 * ```ts
 * const config = parseConfig({ providers: [{ name: 'demo', type: 'mock', models: ['*'] }] });
 * config.server.port; // 8787
 * ```
 */
export function parseConfig(raw: unknown, options: ParseConfigOptions = {}): SwitchboardConfig {
  refuseDeepNesting(raw, options.source);
  const { value, issues } = interpolateEnv(raw ?? {}, options.env ?? process.env);
  if (issues.length > 0) throw new ConfigError(issues, options.source);
  return validateConfig(value, options.source);
}

/**
 * Validates a config object against the schema and applies defaults, without `${ENV}`
 * interpolation (for configs built in code, or already validated ones: validation is
 * idempotent). Throws a `ConfigurationError` listing every bad field by path (an unknown key too).
 *
 * @example
 * ```ts
 * validateConfig({ router: { strategy: 'round_robin' } }).router.maxAttempts; // 3
 * ```
 */
export function validateConfig(value: unknown, source?: string): SwitchboardConfig {
  const input = value ?? {};
  refuseDeepNesting(input, source);
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(toConfigIssues(configSchema, input, result.error.issues), source);
  return result.data;
}

/** A config nested deeper than `MAX_CONFIG_DEPTH` (or cyclic) is an issue at the path where it gets too deep. */
function refuseDeepNesting(value: unknown, source: string | undefined): void {
  const path = pathTooDeep(value, MAX_CONFIG_DEPTH);
  if (path === undefined) return;
  throw new ConfigError(
    [{ path: formatPath(path), message: `nested more than ${MAX_CONFIG_DEPTH} levels deep (objects and arrays)` }],
    source,
  );
}

/**
 * Validates one `providers[]` entry on its own (the admin API's add-provider body), defaults
 * applied, without `${ENV}` interpolation. Throws a `ConfigurationError` listing every bad field.
 *
 * @example
 * ```ts
 * parseProviderEntry({ name: 'extra', type: 'mock', latencyMs: 5 }).models; // ['*']
 * ```
 */
export function parseProviderEntry(value: unknown): ProviderEntry {
  refuseDeepNesting(value, undefined);
  const result = providerEntrySchema.safeParse(value);
  if (!result.success) throw new ConfigError(toConfigIssues(providerEntrySchema, value, result.error.issues));
  return result.data;
}

/**
 * Reads a config file — YAML (`.yaml`, `.yml`) or JSON (`.json`), chosen by extension —
 * and validates it with `parseConfig`. Every failure is a `ConfigurationError`.
 *
 * @example
 * ```ts
 * const config = await loadConfigFile('switchboard.yaml');
 * ```
 */
export async function loadConfigFile(
  path: string,
  options: Omit<ParseConfigOptions, 'source'> = {},
): Promise<SwitchboardConfig> {
  const extension = extname(path).toLowerCase();
  if (extension !== '.yaml' && extension !== '.yml' && extension !== '.json') {
    throw new ConfigError(
      [{ path: '', message: `unsupported config file extension '${extension}' (use .yaml, .yml or .json)` }],
      path,
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError([{ path: '', message: `cannot read the config file: ${reason}` }], path);
  }
  let raw: unknown;
  try {
    raw = extension === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const format = extension === '.json' ? 'JSON' : 'YAML';
    throw new ConfigError([{ path: '', message: `not valid ${format}: ${(error as Error).message}` }], path);
  }
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError([{ path: '', message: 'the config file must contain an object at the top level' }], path);
  }
  return parseConfig(raw, { ...options, source: path });
}
