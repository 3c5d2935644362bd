import { SwitchboardError } from './switchboard-error.ts';

/** One problem found in a configuration: where (`providers[1].baseURL`) and what. */
export interface ConfigIssue {
  /** Path of the bad field, e.g. `providers[1].baseURL`; empty for the configuration as a whole. */
  path: string;
  message: string;
}

/**
 * A configuration that cannot be used: an unreadable or unparsable file, a missing environment
 * variable, an unknown key, a value out of range — from the config loader or from the router's
 * own checks (`new Router({ strategy: 'fastest' })`). `issues` lists every problem; `message`
 * has each on its own line as `path: message`, ready to print.
 *
 * @example
 * ```ts
 * try { await loadConfigFile('switchboard.yaml') } catch (error) {
 *   if (ConfigurationError.isInstance(error)) for (const issue of error.issues) console.error(formatIssue(issue));
 * }
 * ```
 */
export class ConfigurationError extends SwitchboardError {
  static override readonly brand: string = 'ConfigurationError';
  override name = 'ConfigurationError';
  /** Every problem found, each with the path of its field. */
  readonly issues: readonly ConfigIssue[];
  /** The file (or other source) the configuration came from, when known. */
  readonly source: string | undefined;

  /** A single message (one issue for the whole configuration), or a list of issues by path. */
  constructor(problem: string | readonly ConfigIssue[], source?: string) {
    const issues = typeof problem === 'string' ? [{ path: '', message: problem }] : [...problem];
    super('configuration', typeof problem === 'string' ? problem : describeIssues(issues, source));
    this.issues = issues;
    this.source = source;
  }
}

/** `path: message`, or just the message when the issue concerns the whole configuration. */
export function formatIssue(issue: ConfigIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

function describeIssues(issues: readonly ConfigIssue[], source: string | undefined): string {
  const where = source === undefined ? 'Invalid configuration' : `Invalid configuration in ${source}`;
  return `${where}:\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`;
}

/** Renders a path such as `['providers', 1, 'baseURL']` as `providers[1].baseURL`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}
