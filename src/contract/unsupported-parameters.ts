import type { CallOptions, ProviderAdapter } from './provider-adapter.ts';
import { ProviderError } from './provider-error.ts';

/**
 * Parameters a provider cannot honour: by default the request is refused with a 400
 * `unsupported_parameter` naming the parameter (silently ignoring it would change the answer
 * the client expects); with the provider entry's `dropUnsupportedParams: true` the parameters
 * are dropped and reported through `CallOptions.reportDroppedParams` (the gateway lists them in
 * `x-switchboard-dropped-params`).
 */

/**
 * The 400 `unsupported_parameter` of `provider` for `param`: a `local` error (found before anything
 * was sent), never the provider's fault; the router tries the model's other providers, which may
 * honour the parameter, and answers this 400 when none can.
 *
 * @example
 * ```ts
 * throw unsupportedParameter('claude', 'logprobs');
 * ```
 */
export function unsupportedParameter(provider: string, param: string): ProviderError {
  const message = `The parameter '${param}' is not supported by provider '${provider}'. Remove it, or set dropUnsupportedParams: true on the provider to drop it.`;
  return new ProviderError(`${provider}: ${message}`, {
    kind: 'local',
    provider,
    status: 400,
    code: 'unsupported_parameter',
    body: { error: { message, type: 'invalid_request_error', param, code: 'unsupported_parameter' } },
  });
}

/** How `applyUnsupportedParameters` treats what it finds. */
export interface UnsupportedParameterPolicy {
  provider: string;
  /** Drop and report instead of refusing. */
  drop: boolean;
  report?: ((provider: string, names: readonly string[]) => void) | undefined;
}

/** The policy of a request translated for `adapter`: its `dropUnsupportedParams`, reported through the call's reporter. */
export function unsupportedParameterPolicyOf(
  adapter: ProviderAdapter,
  callOptions: CallOptions,
): UnsupportedParameterPolicy {
  return {
    provider: adapter.name,
    drop: adapter.dropUnsupportedParams === true,
    report: callOptions.reportDroppedParams,
  };
}

/**
 * Checks `request` for the parameters `isUnsupported` flags: throws `unsupportedParameter` for
 * the first one, or (with `policy.drop`) returns a copy without them and reports their names.
 * Returns `request` itself when none is present.
 *
 * @example
 * ```ts
 * const sent = applyUnsupportedParameters(request, (name, value) => name === 'logprobs' && value === true, { provider: 'claude', drop: false });
 * ```
 */
export function applyUnsupportedParameters<Request extends Record<string, unknown>>(
  request: Request,
  isUnsupported: (name: string, value: unknown) => boolean,
  policy: UnsupportedParameterPolicy,
): Request {
  let found: string[] | undefined;
  for (const name of Object.keys(request)) {
    const value = request[name];
    if (value === undefined || value === null || !isUnsupported(name, value)) continue;
    if (!policy.drop) throw unsupportedParameter(policy.provider, name);
    (found ??= []).push(name);
  }
  if (found === undefined) return request;
  const copy: Record<string, unknown> = { ...request };
  for (const name of found) delete copy[name];
  policy.report?.(policy.provider, found);
  return copy as Request;
}
