import type { StreamRecoveryMode } from '../router/types.ts';
import type { GatewayContext } from './gateway-env.ts';
import { GatewayError } from './openai-error.ts';

/** The request header that sets `streamRecovery` for one streamed request. */
export const STREAM_RECOVERY_HEADER = 'x-switchboard-stream-recovery';

/**
 * The `x-switchboard-stream-recovery` header of a request (`continue` or `off`, any case), or
 * undefined when it is absent (the router's setting applies).
 *
 * @throws GatewayError 400 for any other value.
 */
export function streamRecoveryOf(context: GatewayContext): StreamRecoveryMode | undefined {
  const value = context.req.header(STREAM_RECOVERY_HEADER);
  if (value === undefined) return undefined;
  const mode = value.trim().toLowerCase();
  if (mode === 'continue' || mode === 'off') return mode;
  throw new GatewayError(400, `${STREAM_RECOVERY_HEADER} must be 'continue' or 'off'.`, {
    type: 'invalid_request_error',
    param: STREAM_RECOVERY_HEADER,
    code: 'invalid_value',
  });
}
