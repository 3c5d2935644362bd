import { openAIErrorBody, type OpenAIErrorBody } from '../contract/openai-error-body.ts';

export { isOpenAIErrorBody, openAIErrorBody, type OpenAIErrorBody } from '../contract/openai-error-body.ts';

/** Fields of a `GatewayError`. */
export interface GatewayErrorOptions {
  /** OpenAI error type, e.g. `invalid_request_error`. */
  type: string;
  /** Machine-readable code, e.g. `model_not_found`; null when none fits. */
  code?: string | null;
  /** The offending request field, e.g. `messages`. */
  param?: string | null;
  /** Extra response headers, e.g. `retry-after`. */
  headers?: Record<string, string>;
  /** A ready body to send instead of the one built from message/type/code (upstream pass-through). */
  body?: OpenAIErrorBody;
}

/**
 * An error the gateway answers with a given HTTP status and an OpenAI-shaped body. Throw it
 * from middleware or routes; the app's `onError` renders it.
 *
 * @example
 * ```ts
 * throw new GatewayError(400, 'messages must not be empty', { type: 'invalid_request_error', param: 'messages' });
 * ```
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  readonly #body: OpenAIErrorBody | undefined;

  constructor(status: number, message: string, options: GatewayErrorOptions) {
    super(message);
    this.status = status;
    this.type = options.type;
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
    this.#body = options.body;
  }

  /** The JSON body to send. */
  toBody(): OpenAIErrorBody {
    return this.#body ?? openAIErrorBody(this.message, this.type, this.code, this.param);
  }
}

/** The 500 every unexpected failure becomes: no stack, no detail. */
export function internalError(): GatewayError {
  return new GatewayError(500, 'The gateway failed to process the request.', {
    type: 'server_error',
    code: 'internal_error',
  });
}
