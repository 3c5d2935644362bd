import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, startEndpointGateway, type EndpointGateway } from './support/endpoint-gateway.ts';

let gateway: EndpointGateway;

beforeAll(async () => {
  gateway = await startEndpointGateway({ server: { adminToken: 'admin-secret' } });
  // A provider pointing back at the gateway itself: the classic OPENAI_BASE_URL mistake.
  const added = await request(`${gateway.url}/admin/providers`, {
    method: 'POST',
    headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'myself',
      type: 'openai',
      baseURL: `${gateway.url}/v1`,
      apiKey: GATEWAY_KEY,
      models: ['loop-model'],
    }),
  });
  expect(added.statusCode).toBe(201);
  await added.body.dump();
});
afterAll(async () => {
  await gateway.close();
});

describe('loop guard (x-switchboard-via)', () => {
  it('answers the self-loop with 508 loop_detected at once, with nothing left in flight', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: GATEWAY_KEY, maxRetries: 0, timeout: 5_000 });
    const started = performance.now();
    const error = await client.chat.completions
      .create({ model: 'loop-model', messages: [{ role: 'user', content: 'Hi' }] })
      .catch((caught: unknown) => caught);
    const elapsedMs = performance.now() - started;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(508);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('loop_detected');
    expect(elapsedMs).toBeLessThan(2_000);
    const metrics = await (await request(`${gateway.url}/metrics`)).body.text();
    expect(metrics).toContain('switchboard_requests_in_flight 0');
    expect(gateway.running.router.healthStatus().myself!.inFlight).toBe(0);
    // One hop only: the gateway forwarded once and refused the request that came back.
    expect(metrics).toMatch(
      /switchboard_endpoint_requests_total\{endpoint="\/v1\/chat\/completions",provider="none",status="508",stream="false"\} 1/,
    );
  });

  it('answers a looping /v1/messages request in Anthropic shape', async () => {
    const response = await request(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': GATEWAY_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'loop-model', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(response.statusCode).toBe(508);
    expect(await response.body.json()).toEqual({
      type: 'error',
      error: { type: 'loop_detected', message: expect.stringContaining('Loop detected') },
    });
  });
});
