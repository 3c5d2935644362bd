/**
 * Confirms that our gateway ran with its features on while it was measured: auth refused a
 * request without the key, and its Prometheus metrics counted the benchmark's requests.
 */
import type { RunningTarget } from './targets.ts';

/**
 * Sums every sample of the counter `name` in a Prometheus text exposition whose labels
 * include all of `labels` (e.g. `{ status: '200' }`).
 *
 * @example
 * ```ts
 * sumCounter('requests_total{status="200"} 3\nrequests_total{status="500"} 1\n', 'requests_total', { status: '200' }); // 3
 * ```
 */
export function sumCounter(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.startsWith(`${name}{`) ? line.slice(name.length + 1, line.lastIndexOf('}')) : '';
    if (!wanted.every((pair) => labelText.split(',').includes(pair))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

/** One line for the report saying what the gateway's features did during the run. */
export async function describeGatewayFeatures(gateway: RunningTarget): Promise<string> {
  const unauthorized = await fetch(`${gateway.origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  await unauthorized.arrayBuffer();
  const metricsResponse = await fetch(`${gateway.origin}/metrics`, { headers: gateway.headers });
  const exposition = await metricsResponse.text();
  const served = sumCounter(exposition, 'switchboard_requests_total', { status: '200' });
  const streamed = sumCounter(exposition, 'switchboard_requests_total', { status: '200', stream: 'true' });
  return (
    `Switchboard gateway features on: a request without the key got ${unauthorized.status}; ` +
    `its /metrics (${metricsResponse.status}) counted ${served.toLocaleString('en-US')} requests served with 200, ${streamed.toLocaleString('en-US')} of them streamed; request logs went to /dev/null; health checks every 10 s.`
  );
}
