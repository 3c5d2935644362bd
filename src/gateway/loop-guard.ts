import { randomUUID } from 'node:crypto';
import type { GatewayContext } from './gateway-env.ts';
import { GatewayError } from './openai-error.ts';
import type { RequestCheck } from './request-guard.ts';

/** The header naming every Switchboard instance a request went through. */
export const VIA_HEADER = 'x-switchboard-via';
/** Longest `x-switchboard-via` header accepted (a few dozen hops). */
const MAX_VIA_LENGTH = 2048;

/** A fresh instance id (one per gateway). */
export function createInstanceId(): string {
  return `sb-${randomUUID()}`;
}

/** The 508 a looping request gets. */
export function loopDetected(): GatewayError {
  return new GatewayError(
    508,
    'Loop detected: this request already went through this Switchboard instance (a provider points back at the gateway).',
    { type: 'loop_detected', code: 'loop_detected' },
  );
}

/**
 * Check: a request whose `x-switchboard-via` lists `instanceId` came back to this gateway
 * through one of its own providers; it gets 508 `loop_detected` at once instead of being
 * forwarded again. Otherwise stores the via list to send upstream (`c.var.via`: the
 * incoming list plus this instance).
 *
 * @example
 * ```ts
 * app.use('/v1/*', requestGuard(guardAgainstLoops('sb-1234')));
 * ```
 */
export function guardAgainstLoops(instanceId: string): RequestCheck {
  return (context) => {
    const incoming = context.req.header(VIA_HEADER);
    if (incoming === undefined || incoming === '') {
      context.set('via', instanceId);
      return;
    }
    if (incoming.length > MAX_VIA_LENGTH) throw loopDetected();
    for (const hop of incoming.split(',')) if (hop.trim() === instanceId) throw loopDetected();
    context.set('via', `${incoming}, ${instanceId}`);
  };
}

/** The upstream headers of a request: its via list. */
export function upstreamHeadersOf(context: GatewayContext): Record<string, string> | undefined {
  const via = context.get('via');
  return via === undefined ? undefined : { [VIA_HEADER]: via };
}
