import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse-parser.ts';

function parseInPieces(pieces: Array<string | Uint8Array>): { events: SseEvent[]; clean: boolean } {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const piece of pieces) events.push(...parser.push(piece));
  return { events, clean: parser.finish() };
}

describe('SseParser', () => {
  it('parses events with names, data and comments', () => {
    const { events, clean } = parseInPieces([': hello\n\nevent: ping\ndata: {"a":1}\n\ndata: [DONE]\n\n']);
    expect(events).toEqual([
      { event: 'ping', data: '{"a":1}' },
      { event: '', data: '[DONE]' },
    ]);
    expect(clean).toBe(true);
  });

  it('joins multi-line data with newlines and keeps a value without the optional space', () => {
    expect(parseInPieces(['data:first\ndata: second\ndata\n\n']).events).toEqual([
      { event: '', data: 'first\nsecond\n' },
    ]);
  });

  it('handles CRLF and lone CR line endings, including a CR at the end of one chunk and LF at the start of the next', () => {
    expect(parseInPieces(['data: a\r', '\n\r', '\ndata: b\r\r']).events).toEqual([
      { event: '', data: 'a' },
      { event: '', data: 'b' },
    ]);
  });

  it('gives the same events whatever the chunk boundaries, multi-byte characters included', () => {
    const text = 'event: message\ndata: {"t":"😀 世界 é"}\n\n: comment\ndata: x\n\n';
    const bytes = Buffer.from(text, 'utf8');
    const expected = parseInPieces([text]).events;
    for (let size = 1; size <= 7; size++) {
      const pieces: Uint8Array[] = [];
      for (let start = 0; start < bytes.length; start += size) pieces.push(bytes.subarray(start, start + size));
      expect(parseInPieces(pieces).events).toEqual(expected);
    }
  });

  it('reports a stream cut in the middle of an event as unclean', () => {
    expect(parseInPieces(['data: {"a":']).clean).toBe(false);
    expect(parseInPieces(['data: complete\n']).clean).toBe(false);
    expect(parseInPieces([Buffer.from('data: x\n\n'), Buffer.from([0xf0, 0x9f])]).clean).toBe(false);
  });

  it('drops a leading byte order mark, even when its bytes arrive one by one', () => {
    const bytes = Buffer.from('\uFEFFdata: x\n\n', 'utf8');
    expect(parseInPieces([bytes]).events).toEqual([{ event: '', data: 'x' }]);
    expect(parseInPieces([...bytes].map((byte) => Uint8Array.of(byte))).events).toEqual([{ event: '', data: 'x' }]);
    expect(parseInPieces([Buffer.from('data: \uFEFFkept\n\n', 'utf8')]).events).toEqual([
      { event: '', data: '\uFEFFkept' },
    ]);
  });

  it('ignores blank lines without data and unknown fields', () => {
    expect(parseInPieces(['\n\nid: 3\nretry: 10\nfoo: bar\n\n']).events).toEqual([]);
  });
});
