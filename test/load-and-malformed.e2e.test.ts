import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { streamScript } from './support/openai-upstream.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('reliability under load and bad upstreams', () => {
  // Completeness, not speed, is asserted: a loaded CI machine may take longer than the default limits.
  it('serves 200 concurrent streams completely and leaves nothing in flight', { timeout: 60_000 }, async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }, { name: 'secondary' }] });
    for (const upstream of Object.values(harness.upstreams))
      upstream.setDefault(streamScript(['a', 'b', 'c', 'd'], { delayMs: 2 }));
    const patientClient = harness.client.withOptions({ timeout: 50_000 });
    const texts = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const stream = await patientClient.chat.completions.create({ ...userRequest(), stream: true });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        return text;
      }),
    );
    expect(texts.every((text) => text === 'abcd')).toBe(true);
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain('switchboard_requests_in_flight 0');
    const health = harness.running.router.healthStatus();
    expect(health.primary!.inFlight + health.secondary!.inFlight).toBe(0);
  });

  it('falls back when an upstream sends malformed SSE before its first chunk', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }, { name: 'secondary' }] });
    harness.upstreams.primary!.enqueue({ kind: 'stream', steps: [{ raw: 'data: {"this is not json\n\n' }] });
    harness.upstreams.secondary!.enqueue(streamScript(['fine']));
    const { data: stream, response } = await harness.client.chat.completions
      .create({ ...userRequest(), stream: true })
      .withResponse();
    expect(response.headers.get('x-switchboard-provider')).toBe('secondary');
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('fine');
  });

  it('skips a malformed event in a healthy stream, forwards nothing of it and counts it', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const script = streamScript(['one ', 'two']);
    if (script.kind !== 'stream') throw new Error('expected a stream script');
    script.steps.splice(1, 0, { raw: 'data: {"this is not json\n\n' });
    harness.upstreams.primary!.enqueue(script);
    const stream = await harness.client.chat.completions.create({ ...userRequest(), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('one two');
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain('switchboard_stream_malformed_events_total{provider="primary"} 1');
  });

  it('answers 502 when a non-streamed upstream answer is not JSON', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    harness.upstreams.primary!.enqueue({
      kind: 'stream',
      steps: [{ raw: '{"id": "truncated' }],
      done: false,
      headers: { 'content-type': 'application/json' },
    });
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(userRequest()),
    });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upstream_protocol_error');
  });
});
