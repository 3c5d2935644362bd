/**
 * Where providers added at run time may point: `server.admin.allowedUpstreams`, host patterns
 * an operator pins so that the admin API cannot send traffic (and keys) to any other host, e.g.
 * a link-local metadata address.
 */

/** The host a provider type calls when its entry names no `baseURL` (as `providers/` defaults it). */
export const DEFAULT_UPSTREAM_HOSTS: Readonly<Record<string, string>> = Object.freeze({
  openai: 'api.openai.com',
  anthropic: 'api.anthropic.com',
});

/**
 * True when `hostname` matches one of `patterns`: an exact host (case-insensitive), `*.domain`
 * (any host below `domain`, not `domain` itself), or an IP literal (IPv6 in brackets).
 *
 * @example
 * ```ts
 * isAllowedUpstream('api.openai.com', ['*.openai.com']); // true
 * isAllowedUpstream('169.254.169.254', ['*.openai.com']); // false
 * ```
 */
export function isAllowedUpstream(hostname: string, patterns: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return patterns.some((pattern) => {
    const lowered = pattern.toLowerCase();
    if (lowered.startsWith('*.')) return host.endsWith(lowered.slice(1)) && host.length > lowered.length - 1;
    return host === lowered;
  });
}

/**
 * The host a provider entry would call, or undefined when it calls none (a `mock`) or its
 * `baseURL` is not a URL.
 */
export function upstreamHostOf(entry: { type: string; baseURL?: string | undefined }): string | undefined {
  if (entry.baseURL === undefined) return DEFAULT_UPSTREAM_HOSTS[entry.type];
  try {
    return new URL(entry.baseURL).hostname;
  } catch {
    return undefined;
  }
}
