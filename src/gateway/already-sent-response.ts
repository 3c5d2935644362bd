import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';

/**
 * The native `Response` class, even after `@hono/node-server` replaced `globalThis.Response`
 * with its lightweight subclass (it does so when the first server of the process is created).
 */
function nativeResponseClass(): typeof Response {
  const current = globalThis.Response;
  const parent: unknown = Object.getPrototypeOf(current);
  return typeof parent === 'function' && parent !== Function.prototype ? (parent as typeof Response) : current;
}

/**
 * What a handler returns after writing straight to the Node response: tells
 * `@hono/node-server` to send nothing more. `RESPONSE_ALREADY_SENT` itself only works when
 * its module was loaded before the process created its first server; a lightweight
 * `Response` made later would make the server write headers a second time. This one is
 * always a native `Response` carrying the same marker header.
 */
export const ALREADY_SENT_RESPONSE: Response = new (nativeResponseClass())(null, {
  headers: RESPONSE_ALREADY_SENT.headers,
});
