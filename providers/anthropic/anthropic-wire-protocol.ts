/**
 * The Anthropic Messages stream as a pass-through protocol: `message_stop` ends it; an `error`
 * event is a `ProviderError` with the status its type stands for (`overloaded_error` → 529).
 */
import { ProviderError } from '../../src/contract/provider-error.ts';
import { truncateMessage } from '../http/http-error.ts';
import type { WireProtocol } from '../http/wire-event-translator.ts';
import { statusOfAnthropicErrorType } from './anthropic-error-types.ts';

/** See the module comment. */
export const anthropicWireProtocol: WireProtocol = {
  isEnd: (type) => type === 'message_stop',
  errorOf(type, value, provider) {
    if (type !== 'error') return undefined;
    const error = (value.error ?? {}) as { type?: string; message?: string };
    const status = statusOfAnthropicErrorType(error.type);
    const message = truncateMessage(String(error.message ?? 'stream error'));
    return new ProviderError(`${provider}: upstream sent an error mid-stream: ${message}`, {
      kind: 'http',
      provider,
      status,
      code: error.type,
      body: { error: { message, type: error.type ?? 'api_error', param: null, code: null } },
    });
  },
};
