/**
 * Comparison peer: raw node:http forwarding POST /v1/chat/completions to the upstream
 * through one keep-alive undici Pool, piping the body through.
 *
 * Env: `PORT`, `UPSTREAM_ORIGIN` (e.g. `http://127.0.0.1:9000`). Listens on 127.0.0.1.
 */
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

const upstream = new Pool(process.env.UPSTREAM_ORIGIN ?? 'http://127.0.0.1:9000', { pipelining: 1 });

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
    request.resume();
    response.writeHead(404).end();
    return;
  }
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    upstream
      .request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: Buffer.concat(parts),
      })
      .then(async (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode, { 'content-type': String(upstreamResponse.headers['content-type'] ?? 'application/json') });
        await pipeline(upstreamResponse.body, response);
      })
      .catch(() => {
        if (!response.headersSent) response.writeHead(502);
        response.end();
      });
  });
});
server.headersTimeout = 0;
server.requestTimeout = 0;
server.listen({ port: Number(process.env.PORT ?? 8802), host: '127.0.0.1' });
