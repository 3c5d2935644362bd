import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/contract/provider-error.ts';
import { openAIResponsesWireProtocol, responsesEventHasContent } from './openai-responses-wire-protocol.ts';

const event = { event: '', data: '' };

describe('openAIResponsesWireProtocol', () => {
  it('ends the stream at response.completed, response.incomplete and response.failed', () => {
    for (const type of ['response.completed', 'response.incomplete', 'response.failed'])
      expect(openAIResponsesWireProtocol.isEnd(type, event)).toBe(true);
    expect(openAIResponsesWireProtocol.isEnd('response.output_text.delta', event)).toBe(false);
  });

  it('turns an error event (flat or nested) into a retryable ProviderError with its code and message', () => {
    const flat = openAIResponsesWireProtocol.errorOf(
      'error',
      { type: 'error', code: 'server_error', message: 'The server had an error', sequence_number: 4 },
      'openai',
    );
    expect(flat).toBeInstanceOf(ProviderError);
    expect(flat).toMatchObject({ status: 500, code: 'server_error', isRetryable: true });
    expect(flat?.message).toContain('The server had an error');
    const nested = openAIResponsesWireProtocol.errorOf(
      'error',
      { type: 'error', error: { code: 'rate_limit_exceeded', message: 'Slow down' } },
      'openai',
    );
    expect(nested).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(openAIResponsesWireProtocol.errorOf('response.created', {}, 'openai')).toBeUndefined();
  });

  it('counts output events as content, not the lifecycle events that open a stream', () => {
    const of = (type: string) => ({ event: type, data: '{}', value: { type } });
    expect(responsesEventHasContent(of('response.created'))).toBe(false);
    expect(responsesEventHasContent(of('response.in_progress'))).toBe(false);
    expect(responsesEventHasContent(of('response.output_text.delta'))).toBe(true);
    expect(responsesEventHasContent(of('response.output_item.added'))).toBe(true);
  });
});
