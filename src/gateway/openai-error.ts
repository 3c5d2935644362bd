/** The OpenAI error body every gateway error uses: `{"error":{"message","type","param","code"}}`. */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
    [key: string]: unknown;
  };
}

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

/** Builds an OpenAI-shaped error body. */
export function openAIErrorBody(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** Whether a value already has OpenAI's error shape (so it can be passed through as is). */
export function isOpenAIErrorBody(value: unknown): value is OpenAIErrorBody {
  if (value === null || typeof value !== 'object') return false;
  const error = (value as { error?: unknown }).error;
  return error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string';
}

/** The 500 every unexpected failure becomes: no stack, no detail. */
export function internalError(): GatewayError {
  return new GatewayError(500, 'The gateway failed to process the request.', {
    type: 'server_error',
    code: 'internal_error',
  });
}
