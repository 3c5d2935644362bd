/**
 * OpenAI's error body, `{"error":{"message","type","param","code"}}`: what the gateway answers with and
 * what adapters shape upstream errors into. `code` may be a number: some OpenAI-compatible upstreams send one.
 */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | number | null;
    [key: string]: unknown;
  };
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
