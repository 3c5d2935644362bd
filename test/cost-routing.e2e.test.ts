import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { chunkBody, completionBody } from './support/openai-upstream.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The value of one series in a Prometheus text exposition, or undefined when absent. */
function seriesValue(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('strategy cost and switchboard_cost_usd_total', () => {
  it('routes to the cheapest provider and counts the dollars of its usage in /metrics', async () => {
    harness = await startHarness({
      router: { strategy: 'cost' },
      upstreams: [
        { name: 'premium', pricing: { inputPerMTok: 2.5, outputPerMTok: 10 } },
        { name: 'budget', pricing: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } } },
      ],
    });
    harness.upstreams.budget!.enqueue({ kind: 'json', body: completionBody('cheap answer') });
    harness.upstreams.budget!.enqueue({
      kind: 'stream',
      steps: [
        { chunk: chunkBody('streamed') },
        { chunk: chunkBody(null) },
        { chunk: { ...chunkBody(null), choices: [], usage: { prompt_tokens: 1_000, completion_tokens: 2_000 } } },
      ],
    });

    const { data, response } = await harness.client.chat.completions.create(userRequest()).withResponse();
    expect(data.choices[0]?.message.content).toBe('cheap answer');
    expect(response.headers.get('x-switchboard-provider')).toBe('budget');
    const stream = await harness.client.chat.completions.create({
      ...userRequest(),
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) void chunk;

    expect(harness.upstreams.premium!.calls).toHaveLength(0);
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain('# TYPE switchboard_cost_usd_total counter');
    // 7 prompt + 3 completion tokens (the non-streamed answer), 1,000 + 2,000 (the stream's usage chunk).
    const expected = (7 * 0.15 + 3 * 0.6 + 1_000 * 0.15 + 2_000 * 0.6) / 1_000_000;
    expect(seriesValue(metrics, 'switchboard_cost_usd_total{provider="budget",model="gpt-4o-mini"}')).toBeCloseTo(
      expected,
      12,
    );
    expect(seriesValue(metrics, 'switchboard_cost_usd_total{provider="premium",model="gpt-4o-mini"}')).toBeUndefined();
  });

  it('falls back to the dearer provider when the cheapest cannot serve', async () => {
    harness = await startHarness({
      router: { strategy: 'cost' },
      upstreams: [
        { name: 'premium', pricing: { inputPerMTok: 2.5, outputPerMTok: 10 } },
        { name: 'budget', pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
      ],
    });
    harness.upstreams.budget!.enqueue({ kind: 'json', status: 503, body: { error: { message: 'overloaded' } } });
    const { data, response } = await harness.client.chat.completions.create(userRequest()).withResponse();
    expect(data.choices[0]?.message.content).toBe('hello from premium');
    expect(response.headers.get('x-switchboard-provider')).toBe('premium');
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(seriesValue(metrics, 'switchboard_cost_usd_total{provider="premium",model="gpt-4o-mini"}')).toBeCloseTo(
      (7 * 2.5 + 3 * 10) / 1_000_000,
      12,
    );
  });
});
