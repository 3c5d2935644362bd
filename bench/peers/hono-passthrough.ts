/**
 * Comparison peer: the ceiling of our own stack. Bare Hono on @hono/node-server forwarding
 * POST /v1/chat/completions to the upstream through one keep-alive undici Pool, written
 * the fastest way: the handler pipes undici's body straight into the Node response
 * (`c.env.outgoing`) and returns `RESPONSE_ALREADY_SENT`, so no Web-stream conversion.
 *
 * Env: `PORT`, `UPSTREAM_ORIGIN` (e.g. `http://127.0.0.1:9000`). Listens on 127.0.0.1.
 */
import { pipeline } from 'node:stream/promises';
import { serve, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { Pool } from 'undici';

const upstream = new Pool(process.env.UPSTREAM_ORIGIN ?? 'http://127.0.0.1:9000', { pipelining: 1 });
const app = new Hono<{ Bindings: HttpBindings }>();

app.post('/v1/chat/completions', async (context) => {
  const body = await context.req.arrayBuffer();
  const response = await upstream.request({
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
    body: Buffer.from(body),
  });
  const outgoing = context.env.outgoing;
  outgoing.writeHead(response.statusCode, { 'content-type': String(response.headers['content-type'] ?? 'application/json') });
  await pipeline(response.body, outgoing);
  return RESPONSE_ALREADY_SENT;
});

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 8801), hostname: '127.0.0.1' });
