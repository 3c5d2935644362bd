import { formatPath, type ConfigIssue } from './config-error.ts';

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Result of `interpolateEnv`: the value with placeholders replaced, and every unset variable. */
export interface InterpolationResult {
  value: unknown;
  issues: ConfigIssue[];
}

/**
 * Replaces `${NAME}` in every string of a parsed config (keys are left alone) by the
 * environment variable NAME. An unset variable is an issue naming the variable and the
 * field path; the string is then left as it was.
 *
 * @example
 * ```ts
 * interpolateEnv({ providers: [{ apiKey: '${OPENAI_API_KEY}' }] }, { OPENAI_API_KEY: 'sk-1' });
 * // → { value: { providers: [{ apiKey: 'sk-1' }] }, issues: [] }
 * ```
 */
export function interpolateEnv(value: unknown, env: Readonly<Record<string, string | undefined>>): InterpolationResult {
  const issues: ConfigIssue[] = [];
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') return interpolateString(node, env, path, issues);
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      const result: Record<string, unknown> = {};
      // defineProperty: a `__proto__` key stays an ordinary (and then refused) key, never the prototype.
      for (const [key, child] of Object.entries(node))
        Object.defineProperty(result, key, {
          value: walk(child, [...path, key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return result;
    }
    return node;
  };
  return { value: walk(value, []), issues };
}

function interpolateString(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  path: PropertyKey[],
  issues: ConfigIssue[],
): string {
  if (!text.includes('${')) return text;
  let missing = false;
  const replaced = text.replace(PLACEHOLDER, (placeholder, name: string) => {
    const variable = env[name];
    if (variable === undefined) {
      missing = true;
      issues.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return placeholder;
    }
    return variable;
  });
  return missing ? text : replaced;
}
