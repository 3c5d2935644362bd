import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface ErrorPayload {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function postRaw(
  body: string | undefined,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<{ status: number; headers: Headers; body: ErrorPayload }> {
  const response = await fetch(`${harness!.url}/v1/chat/completions`, {
    method: 'POST',
    headers,
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as ErrorPayload };
}

/** Sends a body with `Transfer-Encoding: chunked` (no Content-Length), in pieces. */
function postChunked(url: string, pieces: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}/v1/chat/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }),
        );
      },
    );
    request.on('error', reject);
    let index = 0;
    const writeNext = () => {
      if (index === pieces.length) {
        request.end();
        return;
      }
      const ok = request.write(pieces[index++]);
      if (ok) setImmediate(writeNext);
      else request.once('drain', writeNext);
    };
    writeNext();
  });
}

describe('request validation', () => {
  it.each([
    ['bad JSON', '{"model": "gpt-4o-mini", "messages": [', null, 'invalid_json'],
    ['an empty body', '', null, 'empty_body'],
    ['a JSON array', '[]', null, 'invalid_json'],
    ['missing messages', JSON.stringify({ model: 'gpt-4o-mini' }), 'messages', 'missing_required_parameter'],
    ['empty messages', JSON.stringify({ model: 'gpt-4o-mini', messages: [] }), 'messages', 'invalid_value'],
    [
      'missing model',
      JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
      'model',
      'missing_required_parameter',
    ],
    [
      'a numeric model',
      JSON.stringify({ model: 4, messages: [{ role: 'user', content: 'hi' }] }),
      'model',
      'invalid_value',
    ],
    ['messages as a string', JSON.stringify({ model: 'gpt-4o-mini', messages: 'hi' }), 'messages', 'invalid_value'],
    [
      'a message without role',
      JSON.stringify({ model: 'gpt-4o-mini', messages: [{ content: 'hi' }] }),
      'messages[0].role',
      'invalid_value',
    ],
    [
      'a message that is not an object',
      JSON.stringify({ model: 'gpt-4o-mini', messages: ['hi'] }),
      'messages[0]',
      'invalid_value',
    ],
    ['stream as a string', JSON.stringify({ ...userRequest(), stream: 'yes' }), 'stream', 'invalid_value'],
    [
      'temperature as a string',
      JSON.stringify({ ...userRequest(), temperature: 'hot' }),
      'temperature',
      'invalid_value',
    ],
  ])('answers 400 invalid_request_error for %s', async (_name, body, param, code) => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const response = await postRaw(body);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: 'invalid_request_error', param, code });
    expect(typeof response.body.error.message).toBe('string');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(harness.upstreams.primary!.calls).toHaveLength(0);
  });

  it('answers 413 for a body over maxBodyBytes with a Content-Length', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], server: { maxBodyBytes: 1024 } });
    const response = await postRaw(JSON.stringify({ ...userRequest('gpt-4o-mini', 'x'.repeat(4096)) }));
    expect(response.status).toBe(413);
    expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    expect(harness.upstreams.primary!.calls).toHaveLength(0);
  });

  it('answers 413 for a chunked body over maxBodyBytes (no Content-Length), counting bytes', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }], server: { maxBodyBytes: 64 * 1024 } });
    const pieces = Array.from({ length: 40 }, () => Buffer.alloc(4096, 'a'));
    const response = await postChunked(harness.url, pieces);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error.code).toBe('request_too_large');
    const fine = await postChunked(harness.url, [Buffer.from(JSON.stringify(userRequest()))]);
    expect(fine.status).toBe(200);
  });

  it('keeps serving after a stream of bad requests', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    await Promise.all(Array.from({ length: 20 }, () => postRaw('{nope')));
    const completion = await harness.client.chat.completions.create(userRequest());
    expect(completion.choices[0]?.message.content).toBe('hello from primary');
  });
});

describe('request ids', () => {
  it('echoes a client x-request-id and forwards it upstream', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'custom-req-id' },
      body: JSON.stringify(userRequest()),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('custom-req-id');
    expect(harness.upstreams.primary!.calls[0]!.headers['x-request-id']).toBe('custom-req-id');
  });

  it('sanitises a client id and generates one when none is usable, on errors and 404s too', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const dirty = await fetch(`${harness.url}/health`, { headers: { 'x-request-id': 'req-123 bad\tid!@#' } });
    expect(dirty.headers.get('x-request-id')).toBe('req-123badid');
    const long = await fetch(`${harness.url}/nope`, { headers: { 'x-request-id': 'a'.repeat(300) } });
    expect(long.status).toBe(404);
    expect(long.headers.get('x-request-id')).toBe('a'.repeat(128));
    const unusable = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-request-id': '!!!' },
      body: '{',
    });
    expect(unusable.status).toBe(400);
    expect(unusable.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const notFound = await fetch(`${harness.url}/v2/whatever`, { method: 'POST' });
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as ErrorPayload).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'unknown_url',
    });
    expect(notFound.headers.get('x-request-id')).toBeTruthy();
  });
});
