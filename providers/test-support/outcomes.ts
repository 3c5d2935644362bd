import { expect } from 'vitest';
import type { ChatCompletionChunk } from '../../src/contract/chat-types.ts';
import type { ChatStream } from '../../src/contract/provider-adapter.ts';
import { ProviderError } from '../../src/contract/provider-error.ts';

/** Every chunk of a stream, in order (throws what the stream throws). */
export async function collect(stream: ChatStream): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** The `ProviderError` a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError, got success');
}
