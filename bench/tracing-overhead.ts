/**
 * Micro-benchmark of the gateway's tracing switch: what a request pays for `RequestTracer.enabled`
 * when no OpenTelemetry SDK is registered (the default), next to an empty loop, and what a traced
 * request's spans cost once an SDK is registered (one request span, one attempt span, no export).
 * A few seconds: `npx tsx bench/tracing-overhead.ts`.
 */
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Router } from '../src/router/router.ts';
import { RequestTracer } from '../src/tracing/request-tracer.ts';

const ITERATIONS = 5_000_000;
const router = new Router();
const tracer = new RequestTracer({ router });

function nanosecondsPerCall(label: string, iterations: number, body: () => unknown): number {
  let sink = 0;
  for (let index = 0; index < iterations / 10; index += 1) if (body()) sink += 1;
  const started = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) if (body()) sink += 1;
  const nanoseconds = Number(process.hrtime.bigint() - started) / iterations;
  console.log(`${label.padEnd(58)} ${nanoseconds.toFixed(2).padStart(9)} ns/call   (${sink % 2})`);
  return nanoseconds;
}

let flag = false;
nanosecondsPerCall('empty loop (baseline)', ITERATIONS, () => flag);
nanosecondsPerCall('tracer.enabled, no SDK registered', ITERATIONS, () => tracer.enabled);

const provider = new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] });
trace.setGlobalTracerProvider(provider);
nanosecondsPerCall('tracer.enabled, SDK registered', ITERATIONS, () => tracer.enabled);

const outcome = () => ({ status: 200, requestModel: 'm', responseModel: 'm', provider: 'p', attempts: 1 });
const request = { operation: 'chat', method: 'POST', route: '/v1/chat/completions', requestId: 'id' };
const rounds = 200_000;
const started = process.hrtime.bigint();
for (let index = 0; index < rounds; index += 1) await tracer.run(request, async () => flag, outcome);
console.log(
  `${'tracer.run (request span, no attempt), SDK registered'.padEnd(58)} ${(Number(process.hrtime.bigint() - started) / rounds / 1000).toFixed(2).padStart(9)} µs/request`,
);
flag = !flag;
trace.disable();
await provider.shutdown();
