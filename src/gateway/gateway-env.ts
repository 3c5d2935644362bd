import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

/** What a request's handlers tell the request log and metrics about it. */
export interface RequestLogFields {
  model?: string;
  provider?: string;
  attempts?: number;
  stream?: boolean;
  /** Status actually sent when the handler wrote straight to the Node response. */
  status?: number;
  /** The error code sent, when the answer was an error. */
  errorCode?: string | null;
  /** Token usage the upstream reported (for traces). */
  usage?: { prompt_tokens?: number | undefined; completion_tokens?: number | undefined } | null | undefined;
  /** The model the upstream answered with (for traces). */
  responseModel?: string | undefined;
}

/** What a finished request handler knows of how it was served (both the chat and the generic endpoint handlers). */
export interface ServedOutcome {
  status: number;
  stream: boolean;
  model?: string | undefined;
  provider?: string | undefined;
  attempts?: number | undefined;
  errorCode?: string | null | undefined;
}

/** Copies a finished request's outcome into its log fields, when the request is being logged. */
export function noteOutcome(fields: RequestLogFields | undefined, outcome: ServedOutcome): void {
  if (fields === undefined) return;
  fields.status = outcome.status;
  fields.stream = outcome.stream;
  if (outcome.model !== undefined) fields.model = outcome.model;
  if (outcome.provider !== undefined) fields.provider = outcome.provider;
  if (outcome.attempts !== undefined) fields.attempts = outcome.attempts;
  fields.errorCode = outcome.errorCode;
}

/** Hono environment of the gateway: Node bindings (absent under `app.request()`) and per-request variables. */
export interface GatewayEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    /** The sanitised or generated request id. */
    requestId: string;
    /** `performance.now()` when the request arrived. */
    startedAt: number;
    /** Which gateway key authenticated the request (`key#<index>`), for rate limiting. */
    clientKey: string;
    /** Fields for the request log. */
    logFields: RequestLogFields;
    /** The `x-switchboard-via` value sent upstream (set by the loop guard). */
    via: string;
  };
}

/** The gateway's request context. */
export type GatewayContext = Context<GatewayEnv>;

/**
 * Sets a response header so it reaches the client both when Hono sends the response and when
 * a handler writes straight to the Node response (`c.env.outgoing`). On a Node server the
 * header goes on the Node response only: Node merges it into whatever `writeHead` sends
 * later, so Hono's `c.header()` need not build a Web `Headers` object for every request.
 * Without a Node response (`app.request()`) Hono carries it.
 */
export function setResponseHeader(context: GatewayContext, name: string, value: string): void {
  const outgoing = context.env?.outgoing;
  if (outgoing === undefined) context.header(name, value);
  else if (!outgoing.headersSent) outgoing.setHeader(name, value);
}
