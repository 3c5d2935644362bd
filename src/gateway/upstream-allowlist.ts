/**
 * Where providers added at run time may point: `server.admin.allowedUpstreams`, host patterns
 * an operator pins so that the admin API cannot send traffic (and keys) to any other host, e.g.
 * a link-local metadata address.
 */

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
