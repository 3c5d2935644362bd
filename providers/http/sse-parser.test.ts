import { describe, expect, it } from 'vitest';
import { SseEventTooLargeError, SseParser, type SseEvent } from './sse-parser.ts';

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

  it('refuses an unfinished line longer than the cap, however it is cut', () => {
    const parser = new SseParser({ maxEventLength: 100 });
    expect(parser.push('data: ' + 'x'.repeat(60))).toEqual([]);
    expect(() => parser.push('y'.repeat(60))).toThrow(SseEventTooLargeError);
    expect(() => new SseParser({ maxEventLength: 100 }).push(': ' + 'z'.repeat(200))).toThrow('longer than 100');
  });

  it('refuses an event whose data lines add up past the cap, and accepts one just under it', () => {
    const line = 'data: ' + 'x'.repeat(40) + '\n';
    expect(() => new SseParser({ maxEventLength: 100 }).push(line + line + line)).toThrow(SseEventTooLargeError);
    expect(new SseParser({ maxEventLength: 100 }).push(line + line + '\n')).toHaveLength(1);
  });

  it('takes a 1 MiB event by default and refuses a longer one', () => {
    const data = 'x'.repeat(1024 * 1024 - 10);
    expect(new SseParser().push(`data: ${data}\n\n`)[0]?.data).toBe(data);
    expect(() => new SseParser().push(`data: ${data}${'y'.repeat(20)}\n\n`)).toThrow(SseEventTooLargeError);
  });

  it('a line that arrives in many pieces is joined once: 8 MB in 1 KB pieces parses in linear time', () => {
    // Re-joining and re-scanning the unfinished line at each piece would take 8192 × 4 MB ≈ 32 G character reads.
    const parser = new SseParser({ maxEventLength: 16 * 1024 * 1024 });
    const piece = 'x'.repeat(1024);
    expect(parser.push('data: ')).toEqual([]);
    for (let index = 0; index < 8192; index++) expect(parser.push(piece)).toHaveLength(0);
    const [event] = parser.push('\n\n');
    expect(event?.data.length).toBe(8 * 1024 * 1024);
  });

  it('finds the colon of each line with one search, whatever the lines without a colon after it', () => {
    // With a search from each line start to the next colon, 50k colon-free lines before one colon would be quadratic.
    const lines = 'x\n'.repeat(50_000) + 'data: tail\n\n';
    const events = new SseParser({ maxEventLength: 1024 * 1024 }).push(lines + 'data: a\ndata: b\n\n');
    expect(events).toEqual([
      { event: '', data: 'tail' },
      { event: '', data: 'a\nb' },
    ]);
  });
});
