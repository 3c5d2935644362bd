/**
 * The set-up of the failover fault table (issue 11): a `primary` upstream serving the public
 * model `smart` (sent upstream as `gpt-4o`), a `backup` upstream serving `gpt-4o-mini`, the
 * fallback chain `smart → gpt-4o-mini`, and short timeouts so every row runs in about a second of
 * real time at most. Waits the router makes itself (back-off, retry-after) run on a virtual
 * clock that jumps to each timer's due time, so a 2 s `retry-after` costs nothing and is measured
 * exactly.
 */
import type { SwitchboardConfigInput } from '../../src/config/config-schema.ts';
import type { RouterTimers } from '../../src/router/types.ts';
import { startHarness, type Harness, type HarnessUpstream } from './gateway-harness.ts';
import {
  chunkBody,
  completionBody,
  type StreamStep,
  type UpstreamCall,
  type UpstreamScript,
} from './openai-upstream.ts';

/** The router block of the table's runs: timeouts of a second (enough on a loaded machine), everything else as documented. */
export const FAILOVER_ROUTER: NonNullable<SwitchboardConfigInput['router']> = {
  strategy: 'availability',
  fallbacks: { smart: ['gpt-4o-mini'] },
  retry: { sameProvider: 1, backoffMs: 20, maxRetryAfterMs: 3_000 },
  maxAttempts: 3,
  deadlineMs: 5_000,
  requestTimeoutMs: 1_000,
  firstTokenTimeoutMs: 1_000,
  streamIdleTimeoutMs: 1_000,
};

/** A clock the test moves, and router timers that fire at once with the clock moved to their due time. */
export interface VirtualTime {
  now(): number;
  /** Moves the clock forward by `milliseconds`. */
  advance(milliseconds: number): void;
  timers: RouterTimers;
  /** Every wait the router asked for, in ms, in order. */
  waits: number[];
}

/**
 * A virtual clock with jump-ahead timers (see `VirtualTime`). Only waits shorter than
 * `jumpBelowMs` jump (back-off, retry-after, cool-downs); a longer timer (the request deadline's
 * latch) runs in real time, so it cannot fire while a real socket is still answering; requests end
 * and clear it long before.
 */
export function virtualTime(start = 1_700_000_000_000, jumpBelowMs = 4_000): VirtualTime {
  let now = start;
  const waits: number[] = [];
  return {
    now: () => now,
    advance(milliseconds) {
      now += milliseconds;
    },
    waits,
    timers: {
      setTimeout(callback, delayMs) {
        if (delayMs >= jumpBelowMs) return { real: setTimeout(callback, delayMs) };
        waits.push(delayMs);
        const due = now + delayMs;
        return {
          immediate: setImmediate(() => {
            now = Math.max(now, due);
            callback();
          }),
        };
      },
      clearTimeout(handle) {
        const timer = handle as { real?: NodeJS.Timeout; immediate?: NodeJS.Immediate };
        if (timer.real !== undefined) clearTimeout(timer.real);
        if (timer.immediate !== undefined) clearImmediate(timer.immediate);
      },
    },
  };
}

/** `count` tokens `t1 `, `t2 `… (a 60-token answer is `tokens(60)`). */
export function tokens(count: number, prefix = 't'): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${index + 1} `);
}

/** Stream steps for `pieces` with a finish chunk and a usage chunk (as OpenAI sends with include_usage). */
export function answerSteps(pieces: string[], model: string): StreamStep[] {
  const steps: StreamStep[] = [
    { chunk: { ...chunkBody('', model), choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] } },
  ];
  for (const piece of pieces) steps.push({ chunk: chunkBody(piece, model) });
  steps.push({ chunk: chunkBody(null, model) });
  steps.push({ chunk: { ...chunkBody(null, model), choices: [], usage: USAGE } });
  return steps;
}

/** Usage every scripted answer reports. */
export const USAGE = { prompt_tokens: 9, completion_tokens: 60, total_tokens: 69 };

/** The whole answer of an upstream serving `model`: 60 tokens naming it. */
export function answerPieces(model: string): string[] {
  return tokens(60, `${model}-`);
}

/** An upstream's healthy answer to `call`: 60 tokens naming the upstream model, streamed or not. */
export function healthyAnswer(call: UpstreamCall): UpstreamScript {
  const model = String(call.body?.model);
  const pieces = answerPieces(model);
  if (call.body?.stream === true) return { kind: 'stream', steps: answerSteps(pieces, model) };
  return { kind: 'json', body: { ...completionBody(pieces.join(''), model), usage: USAGE } };
}

/** Options of `startFailoverGateway`. */
export interface FailoverGatewayOptions {
  /** Merged over `FAILOVER_ROUTER`. */
  router?: SwitchboardConfigInput['router'];
  /** Model entries of the primary provider. Default `[{ name: 'smart', upstream: 'gpt-4o' }]`. */
  primaryModels?: HarnessUpstream['models'];
  /** Model entries of the backup provider. Default `['gpt-4o-mini']`. */
  backupModels?: HarnessUpstream['models'];
  /** Virtual time for the router and gateway (default: real time). */
  time?: VirtualTime;
}

/** The gateway of the fault table: `harness.upstreams.primary` and `.backup` answer healthily until scripted. */
export async function startFailoverGateway(options: FailoverGatewayOptions = {}): Promise<Harness> {
  const harness = await startHarness({
    upstreams: [
      { name: 'primary', models: options.primaryModels ?? [{ name: 'smart', upstream: 'gpt-4o' }] },
      { name: 'backup', models: options.backupModels ?? ['gpt-4o-mini'] },
    ],
    router: {
      ...FAILOVER_ROUTER,
      ...options.router,
      retry: { ...FAILOVER_ROUTER.retry, ...options.router?.retry },
    },
    bootstrap: options.time === undefined ? {} : { clock: options.time.now, timers: options.time.timers },
  });
  for (const upstream of Object.values(harness.upstreams)) upstream.setDefault(healthyAnswer);
  return harness;
}

/** The text of a streamed answer read with the `openai` client, and the error that ended it, if any. */
export async function readStream(
  stream: AsyncIterable<{ choices: Array<{ delta: { content?: string | null } }> }>,
): Promise<{ text: string; error: unknown }> {
  let text = '';
  try {
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  } catch (error) {
    return { text, error };
  }
  return { text, error: undefined };
}

/** POSTs a chat request with `fetch` and returns the status, headers and raw body text (for checks of the wire). */
export async function postRaw(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test-key', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The `data:` payloads of an SSE body, in order. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6));
}

/** Upstream model names of `calls`, in order. */
export function modelsOf(calls: readonly UpstreamCall[]): string[] {
  return calls.map((call) => String(call.body?.model));
}
