/** One problem found in a config file: where (`providers[1].baseURL`) and what. */
export interface ConfigIssue {
  /** Path of the bad field, e.g. `providers[1].baseURL`; empty for the file as a whole. */
  path: string;
  message: string;
}

/**
 * A config file that cannot be used: unreadable, unparsable, a missing environment
 * variable or invalid fields. `message` lists every issue on its own line as
 * `path: message`, ready to print to stderr.
 *
 * @example
 * ```ts
 * try { await loadConfigFile('switchboard.yaml') } catch (error) {
 *   if (error instanceof ConfigError) for (const issue of error.issues) console.error(`${issue.path}: ${issue.message}`);
 * }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];
  /** The file the config came from, when there was one. */
  readonly source: string | undefined;

  constructor(issues: ConfigIssue[], source?: string) {
    const where = source === undefined ? 'Invalid configuration' : `Invalid configuration in ${source}`;
    super(`${where}:\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
    this.issues = issues;
    this.source = source;
  }
}

/** `path: message`, or just the message when the issue concerns the whole file. */
export function formatIssue(issue: ConfigIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
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
