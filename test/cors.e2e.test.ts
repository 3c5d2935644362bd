import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.ts';
import { ConfigError } from '../src/config/config-error.ts';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';

const APP_ORIGIN = 'https://app.example';

let gateway: EndpointGateway;

beforeAll(async () => {
  gateway = await startEndpointGateway({ server: { cors: { origins: [APP_ORIGIN] } } });
});
afterAll(async () => {
  await gateway.close();
});

function preflight(origin: string) {
  return request(`${gateway.url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, x-stainless-os',
    },
  });
}

describe('server.cors', () => {
  it('answers a preflight before auth: 204 with the allowed methods, headers and max-age', async () => {
    const response = await preflight(APP_ORIGIN);
    await response.body.dump();
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(response.headers['access-control-allow-methods']).toContain('POST');
    expect(response.headers['access-control-allow-headers']).toBe('authorization, content-type, x-stainless-os');
    expect(response.headers['access-control-max-age']).toBe('600');
    expect(response.headers['x-request-id']).toBeDefined();
  });

  it('lets a cross-origin POST read the routing headers', async () => {
    const client = new OpenAI({
      baseURL: `${gateway.url}/v1`,
      apiKey: GATEWAY_KEY,
      maxRetries: 0,
      defaultHeaders: { origin: APP_ORIGIN },
    });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('hello from openai');
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(/\s*,\s*/);
    for (const name of [
      'x-request-id',
      'x-switchboard-provider',
      'x-switchboard-model',
      'x-switchboard-attempts',
      'x-switchboard-fallback-reason',
    ])
      expect(exposed).toContain(name);
    expect(response.headers.get('x-switchboard-provider')).toBe('openai');
  });

  it('gives other origins no allow-origin, on the preflight and on the request', async () => {
    const response = await preflight('https://evil.example');
    await response.body.dump();
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-allow-methods']).toBeUndefined();

    const post = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        origin: 'https://evil.example',
        authorization: `Bearer ${GATEWAY_KEY}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await post.body.dump();
    expect(post.statusCode).toBe(200);
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('still asks a key of every request that is not a preflight', async () => {
    const response = await request(`${gateway.url}/v1/models`, { headers: { origin: APP_ORIGIN } });
    await response.body.dump();
    expect(response.statusCode).toBe(401);
    // The browser can read the 401 itself.
    expect(response.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
  });

  it('refuses a malformed origin in the config', () => {
    expect(() =>
      parseConfig(
        { server: { cors: { origins: ['app.example/path'] } }, providers: [{ name: 'm', type: 'mock' }] },
        { env: {} },
      ),
    ).toThrow(ConfigError);
    expect(() =>
      parseConfig({ server: { cors: { origin: '*' } }, providers: [{ name: 'm', type: 'mock' }] }, { env: {} }),
    ).toThrow(/origin/);
  });
});

describe('server.cors: "*"', () => {
  it('allows any origin', async () => {
    const any = await startEndpointGateway({ server: { cors: { origins: '*' } } });
    try {
      const response = await request(`${any.url}/v1/messages`, {
        method: 'OPTIONS',
        headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'POST' },
      });
      await response.body.dump();
      expect(response.statusCode).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe('*');
      expect(response.headers['access-control-allow-headers']).toContain('x-api-key');
    } finally {
      await any.close();
    }
  });
});
