import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { streamScript } from './support/openai-upstream.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('smoke', () => {
  it('non-stream and stream', async () => {
    harness = await startHarness({ upstreams: [{ name: 'primary' }] });
    const completion = await harness.client.chat.completions.create(userRequest());
    expect(completion.choices[0]?.message.content).toBe('hello from primary');
    harness.upstreams.primary!.enqueue(streamScript(['Hel', 'lo'], { delayMs: 5 }));
    const stream = await harness.client.chat.completions.create({ ...userRequest(), stream: true });
    const pieces: string[] = [];
    for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? '');
    expect(pieces.join('')).toBe('Hello');
  });
});
