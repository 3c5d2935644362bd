import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';
import { errorScript } from './support/openai-upstream.ts';

/** One endpoint under test: its path, a valid body for a model, and its error shape. */
interface EndpointCase {
  path: string;
  shape: 'openai' | 'anthropic';
  body(model: string): Record<string, unknown>;
  /** Auth headers the endpoint's clients send. */
  auth(key: string): Record<string, string>;
}

const ENDPOINTS: EndpointCase[] = [
  {
    path: '/v1/chat/completions',
    shape: 'openai',
    body: (model) => ({ model, messages: [{ role: 'user', content: 'Hi' }] }),
    auth: (key) => ({ authorization: `Bearer ${key}` }),
  },
  {
    path: '/v1/messages',
    shape: 'anthropic',
    body: (model) => ({ model, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }),
    auth: (key) => ({ 'x-api-key': key }),
  },
  {
    path: '/v1/responses',
    shape: 'openai',
    body: (model) => ({ model, input: 'Hi' }),
    auth: (key) => ({ authorization: `Bearer ${key}` }),
  },
  {
    path: '/v1/embeddings',
    shape: 'openai',
    body: (model) => ({ model, input: 'Hi' }),
    auth: (key) => ({ authorization: `Bearer ${key}` }),
  },
];

let gateway: EndpointGateway;
let limited: EndpointGateway;

beforeAll(async () => {
  // Each endpoint's upstream-failure case fails every attempt on the same provider: keep its circuit closed throughout.
  gateway = await startEndpointGateway({
    server: { maxBodyBytes: 4096 },
    router: { circuitBreaker: { consecutiveFailureLimit: 1000, failureRateThreshold: 1 } },
  });
  limited = await startEndpointGateway({ server: { rateLimit: { requestsPerMinute: 1, burst: 1 } } });
});
afterAll(async () => {
  await gateway.close();
  await limited.close();
});

async function post(url: string, path: string, body: string, headers: Record<string, string>) {
  const response = await request(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as any };
}

/** Asserts an error body in the endpoint's shape with this OpenAI code / Anthropic type. */
function expectShape(endpoint: EndpointCase, body: any, anthropicType: string, openAIType?: string): void {
  if (endpoint.shape === 'anthropic') {
    expect(body).toEqual({ type: 'error', error: { type: anthropicType, message: expect.any(String) } });
  } else {
    expect(body.error).toMatchObject({ message: expect.any(String) });
    if (openAIType !== undefined) expect(body.error.type).toBe(openAIType);
  }
}

describe.each(ENDPOINTS)('errors of $path in its own shape', (endpoint) => {
  const valid = (model: string) => JSON.stringify(endpoint.body(model));

  it('bad JSON → 400', async () => {
    const answer = await post(gateway.url, endpoint.path, '{"model": ', endpoint.auth(GATEWAY_KEY));
    expect(answer.status).toBe(400);
    expectShape(endpoint, answer.body, 'invalid_request_error', 'invalid_request_error');
  });

  it('missing or wrong key → 401', async () => {
    const answer = await post(gateway.url, endpoint.path, valid('gpt-4o-mini'), endpoint.auth('wrong'));
    expect(answer.status).toBe(401);
    expectShape(endpoint, answer.body, 'authentication_error', 'invalid_request_error');
    const none = await post(gateway.url, endpoint.path, valid('gpt-4o-mini'), {});
    expect(none.status).toBe(401);
  });

  it('unknown model → 404', async () => {
    const answer = await post(gateway.url, endpoint.path, valid('no-such-model'), endpoint.auth(GATEWAY_KEY));
    expect(answer.status).toBe(404);
    expectShape(endpoint, answer.body, 'not_found_error', 'invalid_request_error');
  });

  it('body over maxBodyBytes → 413', async () => {
    const body = endpoint.body('gpt-4o-mini');
    body.padding = 'x'.repeat(8192);
    const answer = await post(gateway.url, endpoint.path, JSON.stringify(body), endpoint.auth(GATEWAY_KEY));
    expect(answer.status).toBe(413);
    expectShape(endpoint, answer.body, 'request_too_large');
  });

  it('over the rate limit → 429', async () => {
    const headers = endpoint.auth(GATEWAY_KEY);
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof post>> | undefined;
    for (let index = 0; index < 3; index += 1) {
      last = await post(limited.url, endpoint.path, valid('gpt-4o-mini'), headers);
      statuses.push(last.status);
    }
    expect(statuses).toContain(429);
    const refused = last!;
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expectShape(endpoint, refused.body, 'rate_limit_error', 'rate_limit_error');
  });

  it('upstream failure → the upstream status (500)', async () => {
    // Every attempt fails: the first try and the same-provider retries (router.retry.sameProvider).
    for (let attempt = 0; attempt < 3; attempt += 1) gateway.openaiUpstream.enqueue(errorScript(500, 'boom'));
    const answer = await post(gateway.url, endpoint.path, valid('gpt-4o-mini'), endpoint.auth(GATEWAY_KEY));
    expect(answer.status).toBe(500);
    expectShape(endpoint, answer.body, 'api_error');
  });
});

describe('Anthropic-specific statuses on /v1/messages', () => {
  it('an overloaded anthropic upstream (529) → 529 overloaded_error', async () => {
    // 529 is retryable: the same-provider retries see it too.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      gateway.anthropicUpstream.enqueue({
        status: 529,
        body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      });
    }
    const answer = await post(
      gateway.url,
      '/v1/messages',
      JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }),
      { authorization: `Bearer ${GATEWAY_KEY}` },
    );
    expect(answer.status).toBe(529);
    expect(answer.body).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });

  it('a Messages body without max_tokens → 400 invalid_request_error naming it', async () => {
    const answer = await post(
      gateway.url,
      '/v1/messages',
      JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }] }),
      { 'x-api-key': GATEWAY_KEY },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('max_tokens'),
    });
  });
});
