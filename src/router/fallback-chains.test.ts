import { describe, expect, it } from 'vitest';
import { RoutingFailedError } from './errors.ts';
import { Router } from './router.ts';
import { manualClock, scriptedAdapter } from './test-support/scripted-adapter.ts';
import type { AttemptEvent, RouterOptions } from './types.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];

/** openai serves gpt-4o-mini and smart (→ gpt-4o); claude serves smart and long (→ claude-sonnet-4-5). */
function setup(options: RouterOptions = {}) {
  const time = manualClock();
  const router = new Router({ clock: time.clock, retry: { sameProvider: 0, maxRetryAfterMs: 0 }, ...options });
  const openai = scriptedAdapter('openai', ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }]);
  const claude = scriptedAdapter('claude', [
    { name: 'smart', upstream: 'claude-sonnet-4-5' },
    { name: 'long', upstream: 'claude-sonnet-4-5' },
  ]);
  router.registerProvider(openai);
  router.registerProvider(claude);
  const attempts: AttemptEvent[] = [];
  router.on('attempt', (event) => attempts.push(event));
  return { router, openai, claude, attempts, ...time };
}

describe('fallback chains', () => {
  it('tries the fallback model once every provider of the model failed retryably', async () => {
    const { router, openai, claude, attempts } = setup({ fallbacks: { smart: ['gpt-4o-mini'] } });
    openai.scriptFor('gpt-4o', { status: 503 });
    claude.scriptFor('claude-sonnet-4-5', { status: 500 });
    const result = await router.chatCompletion({ model: 'smart', messages });
    expect(result).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini',
      attempts: 3,
      fallbackReason: 'server_error',
    });
    expect(result.completion.model).toBe('gpt-4o-mini');
    expect(attempts.map((event) => [event.provider, event.model, event.kind])).toEqual([
      [expect.any(String), 'smart', 'first'],
      [expect.any(String), 'smart', 'fallback'],
      ['openai', 'gpt-4o-mini', 'fallback'],
    ]);
  });

  it('"*" applies to any model without its own entry; an own entry wins', async () => {
    const { router, openai, claude } = setup({ fallbacks: { '*': ['long'], smart: ['gpt-4o-mini'] } });
    openai.scriptFor('gpt-4o-mini', { status: 500 });
    const viaStar = await router.chatCompletion({ model: 'gpt-4o-mini', messages });
    expect(viaStar).toMatchObject({ provider: 'claude', model: 'long' });
    claude.scriptFor('claude-sonnet-4-5', { status: 500 });
    openai.scriptFor('gpt-4o', { status: 500 });
    openai.scriptFor('gpt-4o-mini', { reply: 'mini' });
    expect(await router.chatCompletion({ model: 'smart', messages })).toMatchObject({ model: 'gpt-4o-mini' });
  });

  it('an open circuit or a cool-down counts as a failed provider: the fallback serves without an attempt on it', async () => {
    const { router, openai, claude } = setup({ fallbacks: { smart: ['gpt-4o-mini'] } });
    for (const provider of ['openai', 'claude'])
      router.recordResult(provider, { success: false, model: 'smart', retryAfterMs: 60_000 });
    const result = await router.chatCompletion({ model: 'smart', messages });
    expect(result).toMatchObject({ model: 'gpt-4o-mini', attempts: 1, fallbackReason: 'unavailable' });
    expect([...openai.calls, ...claude.calls].map((call) => call.model)).toEqual(['gpt-4o-mini']);
  });

  it('without a fallback the last upstream error goes back; maxAttempts bounds the whole chain', async () => {
    const { router, openai, claude } = setup({ fallbacks: { smart: ['gpt-4o-mini', 'long'] }, maxAttempts: 2 });
    openai.script({ status: 502 });
    claude.script({ status: 502 });
    const error = (await router
      .chatCompletion({ model: 'smart', messages })
      .catch((caught: unknown) => caught)) as RoutingFailedError;
    expect(error).toBeInstanceOf(RoutingFailedError);
    expect(error.attempts).toBe(2);
    expect(openai.calls.length + claude.calls.length).toBe(2);
  });

  it('a context-length error never retries the same model and goes only to contextWindowFallbacks', async () => {
    const { router, openai, claude } = setup({
      fallbacks: { 'gpt-4o-mini': ['smart'] },
      contextWindowFallbacks: { 'gpt-4o-mini': ['long'] },
    });
    openai.scriptFor('gpt-4o-mini', { status: 400, errorClass: 'context_length_exceeded' });
    const result = await router.chatCompletion({ model: 'gpt-4o-mini', messages });
    expect(result).toMatchObject({
      provider: 'claude',
      model: 'long',
      attempts: 2,
      fallbackReason: 'context_length_exceeded',
    });
    expect(openai.calls).toHaveLength(1);
    expect(claude.calls.map((call) => call.model)).toEqual(['claude-sonnet-4-5']);
    expect(router.healthStatus().openai!.deployments['gpt-4o-mini']).toMatchObject({ consecutiveFailures: 0 });
  });

  it('a context-length error without its own list goes back unchanged, not to the generic fallbacks', async () => {
    const { router, openai, claude } = setup({ fallbacks: { 'gpt-4o-mini': ['long'] } });
    openai.scriptFor('gpt-4o-mini', { status: 400, errorClass: 'context_length_exceeded' });
    await expect(router.chatCompletion({ model: 'gpt-4o-mini', messages })).rejects.toMatchObject({
      attempts: 1,
      lastError: { status: 400, errorClass: 'context_length_exceeded' },
    });
    expect(claude.calls).toHaveLength(0);
  });

  it('a content-policy refusal goes back unchanged by default, and to contentPolicyFallbacks when configured', async () => {
    const refused = setup({ fallbacks: { '*': ['long'] } });
    refused.openai.scriptFor('gpt-4o-mini', { status: 400, errorClass: 'content_policy' });
    await expect(refused.router.chatCompletion({ model: 'gpt-4o-mini', messages })).rejects.toMatchObject({
      lastError: { status: 400, errorClass: 'content_policy' },
    });
    expect(refused.claude.calls).toHaveLength(0);

    const routed = setup({ contentPolicyFallbacks: { 'gpt-4o-mini': ['long'] } });
    routed.openai.scriptFor('gpt-4o-mini', { status: 400, errorClass: 'content_policy' });
    expect(await routed.router.chatCompletion({ model: 'gpt-4o-mini', messages })).toMatchObject({
      model: 'long',
      fallbackReason: 'content_policy',
    });
  });

  it('per-call options override the router: fallbacks and maxAttempts', async () => {
    const { router, openai } = setup();
    openai.scriptFor('gpt-4o-mini', { status: 500 });
    await expect(router.chatCompletion({ model: 'gpt-4o-mini', messages })).rejects.toBeInstanceOf(RoutingFailedError);
    expect(
      await router.chatCompletion({ model: 'gpt-4o-mini', messages }, { fallbacks: { '*': ['long'] } }),
    ).toMatchObject({
      model: 'long',
    });
  });

  it('streams fall back to the fallback model before their commit point', async () => {
    const { router, openai } = setup({ fallbacks: { smart: ['gpt-4o-mini'] } });
    openai.scriptFor('gpt-4o', { chunks: ['x'], failAfter: 0 });
    const claudeDown = { success: false, model: 'smart', retryAfterMs: 60_000 } as const;
    router.recordResult('claude', claudeDown);
    openai.scriptFor('gpt-4o-mini', { chunks: ['mi', 'ni'], leadingEmpty: 1 });
    const { stream, model, fallbackReason } = await router.chatCompletionStream({ model: 'smart', messages });
    expect([model, fallbackReason]).toEqual(['gpt-4o-mini', 'server_error']);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('mini');
  });
});
