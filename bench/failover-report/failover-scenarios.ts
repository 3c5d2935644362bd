/**
 * The provider faults of issue 11's table as runnable scenarios, each judged pass / partial /
 * safe / fail: pass = the whole answer (or, where the table asks for one, the exact error) with
 * clean conduct; partial = served, but not as the table says; safe = a bounded clean error;
 * fail = a hang, a truncated success or a broken conduct rule (a tight loop, a silent provider
 * retried, a malformed event forwarded, a gateway-made 429, another model tried for a content
 * policy refusal…). Each scenario has its own public model on the primary, so running them back
 * to back on one gateway shares providers, connections and the fallback model, not a model's
 * own health.
 */
import type OpenAI from 'openai';
import { answerPieces, answerSteps, healthyAnswer, USAGE } from '../../test/support/failover-gateway.ts';
import { errorScript, type UpstreamScript } from '../../test/support/openai-upstream.ts';
import { askGateway, type GatewayAnswer } from './ask-gateway.ts';
import {
  FALLBACK_MODEL,
  LONG_MODEL,
  upstreamNameOf,
  type FailoverTimings,
  type ScriptedUpstream,
} from './failover-setup.ts';

/** The judgement of one scenario. */
export type Verdict = 'pass' | 'partial' | 'safe' | 'fail';

/** What a scenario runs with. */
export interface ScenarioContext {
  client: OpenAI;
  /** The gateway's base URL (for /metrics and /health). */
  url: string;
  primary: ScriptedUpstream;
  backup: ScriptedUpstream;
  timings: FailoverTimings;
}

/** A scenario's judgement and why. */
export interface ScenarioOutcome {
  verdict: Verdict;
  note: string;
}

/** One row of the table. */
export interface FailoverScenario {
  id: string;
  /** The fault, as the table words it. */
  fault: string;
  /** The verdict of a correct gateway without stream recovery. */
  expected: Verdict;
  /** Public models on the primary (default `[id]`). */
  models?: string[];
  /** A twin of the scenario's model (the same answer, its fallback) on the backup or on the Anthropic provider `claude`. */
  twin?: 'backup' | 'claude';
  fallbacks?: Record<string, string[]>;
  contextWindowFallbacks?: Record<string, string[]>;
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}

const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/** The whole answer of the upstream serving the public `model`. */
function wholeAnswerOf(model: string): string {
  return answerPieces(upstreamNameOf(model)).join('');
}

/** `model`'s 60-token answer as stream steps, with only the first `count` content chunks. */
function firstTokens(model: string, count: number): UpstreamScript {
  const name = upstreamNameOf(model);
  return { kind: 'stream', steps: [...answerSteps(answerPieces(name), name).slice(0, count + 1), { delayMs: 50 }] };
}

const RECOVERY_ON = { 'x-switchboard-stream-recovery': 'continue' };

/** Anthropic Messages SSE carrying `text`, as a scripted upstream answer. */
function anthropicStream(text: string, model: string): UpstreamScript {
  const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  let body = event('message_start', {
    type: 'message_start',
    message: {
      id: 'msg_failover',
      type: 'message',
      role: 'assistant',
      content: [],
      model,
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 9, output_tokens: 1 },
    },
  });
  body += event('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  });
  for (let start = 0; start < text.length; start += 24)
    body += event('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: text.slice(start, start + 24) },
    });
  body += event('content_block_stop', { type: 'content_block_stop', index: 0 });
  body += event('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 60 },
  });
  body += event('message_stop', { type: 'message_stop' });
  return { kind: 'stream', steps: [{ raw: body }], done: false };
}

/** The verdicts every scenario shares: a hang, a truncated success or a broken stream fail; a clean error is safe. */
function basics(answer: GatewayAnswer, wholeTexts: readonly string[]): ScenarioOutcome | undefined {
  if (answer.kind === 'hang') return { verdict: 'fail', note: `hang (no end within ${Math.round(answer.ms)} ms)` };
  if (answer.kind === 'broken') return { verdict: 'fail', note: `broken response: ${answer.message}` };
  if (answer.kind === 'answer' && !wholeTexts.includes(answer.text))
    return { verdict: 'fail', note: `truncated success (${answer.text.length} characters)` };
  if (answer.kind === 'error')
    return { verdict: 'safe', note: `clean error ${answer.status ?? 'event'} ${answer.code ?? ''}`.trim() };
  return undefined;
}

const pass = (note: string): ScenarioOutcome => ({ verdict: 'pass', note });
const partial = (note: string): ScenarioOutcome => ({ verdict: 'partial', note });
const fail = (note: string): ScenarioOutcome => ({ verdict: 'fail', note });

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** The table's rows, in its order (the last row, back to back, is the report's run itself). */
export const FAILOVER_SCENARIOS: readonly FailoverScenario[] = [
  {
    id: 's01',
    fault: '429 with `retry-after: 2` on the only provider, then OK',
    expected: 'pass',
    fallbacks: { s01: [] },
    async run({ client, primary }) {
      const times: number[] = [];
      primary.script(upstreamNameOf('s01'), (call, index) => {
        times.push(performance.now());
        return index === 0 ? errorScript(429, 'slow down', { 'retry-after': '2' }) : healthyAnswer(call);
      });
      const answer = await askGateway(client, 's01');
      const basic = basics(answer, [wholeAnswerOf('s01')]);
      if (basic !== undefined) return basic;
      const gap = times.length >= 2 ? times[1]! - times[0]! : 0;
      if (times.length !== 2) return fail(`${times.length} tries`);
      if (gap < 1_800) return fail(`retried ${Math.round(gap)} ms after the 429 (retry-after 2 s)`);
      return pass(`answer; retry ${(gap / 1000).toFixed(2)} s after the 429`);
    },
  },
  {
    id: 's02',
    fault: '429 always, no `retry-after`',
    expected: 'pass',
    async run({ client, primary }) {
      const times: number[] = [];
      primary.script(upstreamNameOf('s02'), () => {
        times.push(performance.now());
        return errorScript(429, 'rate limited');
      });
      const start = performance.now();
      let answered = 0;
      let refused = 0;
      while (performance.now() - start < 3_000) {
        const answer = await askGateway(client, 's02');
        const basic = basics(answer, [wholeAnswerOf(FALLBACK_MODEL)]);
        if (basic?.verdict === 'fail') return basic;
        if (answer.kind === 'answer') answered += 1;
        else refused += 1;
        await sleep(100);
      }
      const tries = times.filter((at) => at - start <= 3_000).length;
      if (tries > 4) return fail(`tight loop: ${tries} tries on the rate-limited model in 3 s`);
      if (refused === 0)
        return pass(`${answered} requests answered by the fallback; ${tries} tries on the model in 3 s`);
      if (answered === 0) return { verdict: 'safe', note: `${refused} clean 429s; ${tries} tries in 3 s` };
      return partial(`${answered} answered, ${refused} refused; ${tries} tries in 3 s`);
    },
  },
  {
    id: 's03',
    fault: '500 once, then OK',
    expected: 'pass',
    async run({ client, primary, backup }) {
      primary.script(upstreamNameOf('s03'), (call, index) => (index === 0 ? errorScript(500) : healthyAnswer(call)));
      const fallbackBefore = backup.callsFor(upstreamNameOf(FALLBACK_MODEL));
      const answer = await askGateway(client, 's03');
      const basic = basics(answer, [wholeAnswerOf('s03'), wholeAnswerOf(FALLBACK_MODEL)]);
      if (basic !== undefined) return basic;
      const fallbackCalls = backup.callsFor(upstreamNameOf(FALLBACK_MODEL)) - fallbackBefore;
      if (answer.text !== wholeAnswerOf('s03') || fallbackCalls > 0) return partial('answered by the fallback');
      return pass(`answer from the same provider after ${primary.scriptedCalls(upstreamNameOf('s03')) - 1} retry`);
    },
  },
  {
    id: 's04',
    fault: '503 always',
    expected: 'pass',
    async run({ client, primary }) {
      primary.script(upstreamNameOf('s04'), () => errorScript(503, 'overloaded'));
      const answer = await askGateway(client, 's04');
      const basic = basics(answer, [wholeAnswerOf(FALLBACK_MODEL)]);
      if (basic !== undefined) return basic;
      const attempts = Number(answer.headers?.get('x-switchboard-attempts'));
      if (!(attempts <= 3)) return fail(`${attempts} attempts, over maxAttempts 3`);
      return pass(`the fallback's answer after ${attempts} attempts`);
    },
  },
  {
    id: 's05',
    fault: 'connection reset before headers',
    expected: 'pass',
    async run({ client, primary }) {
      primary.script(upstreamNameOf('s05'), () => ({ kind: 'reset' }));
      const answer = await askGateway(client, 's05');
      return basics(answer, [wholeAnswerOf(FALLBACK_MODEL)]) ?? pass('the answer (the fallback; every try reset)');
    },
  },
  {
    id: 's06',
    fault: 'no response at all',
    expected: 'pass',
    async run({ client, primary, timings }) {
      primary.script(upstreamNameOf('s06'), () => ({ kind: 'hang' }));
      const answer = await askGateway(client, 's06');
      const basic = basics(answer, [wholeAnswerOf(FALLBACK_MODEL)]);
      if (basic !== undefined) return basic;
      const tries = primary.scriptedCalls(upstreamNameOf('s06'));
      if (tries > 1) return fail(`the silent provider was tried ${tries} times`);
      if (answer.ms > 5 * timings.timeoutMs)
        return partial(`answered after the deadline (${Math.round(answer.ms)} ms)`);
      return pass(`the fallback's answer; the silent provider tried once`);
    },
  },
  {
    id: 's07',
    fault: 'headers at once, first token after 20 s',
    expected: 'pass',
    async run({ client, primary, timings }) {
      const name = upstreamNameOf('s07');
      const steps = answerSteps(answerPieces(name), name);
      steps.splice(1, 0, { delayMs: 20_000 });
      primary.script(name, () => ({ kind: 'stream', steps }));
      const answer = await askGateway(client, 's07', { stream: true });
      const basic = basics(answer, [wholeAnswerOf(FALLBACK_MODEL), wholeAnswerOf('s07')]);
      if (basic !== undefined) return basic;
      if (answer.text === wholeAnswerOf('s07') || answer.ms > 3 * timings.timeoutMs)
        return partial(`waited ${Math.round(answer.ms)} ms for the slow first token`);
      return pass(`the fallback's answer after the first-token timeout`);
    },
  },
  {
    id: 's08',
    fault: 'stream cut after 40 of 60 tokens',
    expected: 'safe',
    async run({ client, primary }) {
      primary.script(upstreamNameOf('s08'), () => ({ ...firstTokens('s08', 40), then: 'reset' }) as UpstreamScript);
      const answer = await askGateway(client, 's08', { stream: true });
      const basic = basics(answer, [wholeAnswerOf('s08')]);
      if (basic !== undefined)
        return basic.verdict === 'safe' ? { verdict: 'safe', note: 'error event after 40 tokens, no [DONE]' } : basic;
      return pass('the whole answer (stream recovered)');
    },
  },
  {
    id: 's09',
    fault: 'stream stalls after 20 tokens',
    expected: 'safe',
    async run({ client, primary, url, timings }) {
      const name = upstreamNameOf('s09');
      primary.script(name, () => ({ ...firstTokens('s09', 20), then: 'hang' }) as UpstreamScript);
      const answer = await askGateway(client, 's09', { stream: true });
      primary.script(name, (call) => healthyAnswer(call));
      const after = await askGateway(client, 's09', { stream: true });
      const healthy = (await fetch(`${url}/health`)).status === 200;
      if (after.kind !== 'answer' || after.text !== wholeAnswerOf('s09') || !healthy)
        return fail('the gateway was not healthy after the stall');
      const basic = basics(answer, [wholeAnswerOf('s09')]);
      if (basic?.verdict === 'safe' && answer.ms > 3 * timings.timeoutMs)
        return partial(`error only after ${Math.round(answer.ms)} ms`);
      if (basic !== undefined)
        return basic.verdict === 'safe'
          ? { verdict: 'safe', note: 'error event within the idle timeout; healthy after' }
          : basic;
      return pass('the whole answer (stream recovered); healthy after');
    },
  },
  {
    id: 's08r',
    fault: 'stream cut after 40 of 60 tokens, recovery on',
    expected: 'pass',
    twin: 'backup',
    async run({ client, primary }) {
      primary.script(upstreamNameOf('s08r'), () => ({ ...firstTokens('s08r', 40), then: 'reset' }) as UpstreamScript);
      const answer = await askGateway(client, 's08r', { stream: true, headers: RECOVERY_ON });
      return (
        basics(answer, [wholeAnswerOf('s08r')]) ?? pass('the whole answer, continued by a fresh request to the twin')
      );
    },
  },
  {
    id: 's09r',
    fault: 'stream stalls after 20 tokens, recovery on',
    expected: 'pass',
    twin: 'backup',
    async run({ client, primary, url, timings }) {
      const name = upstreamNameOf('s09r');
      primary.script(name, () => ({ ...firstTokens('s09r', 20), then: 'hang' }) as UpstreamScript);
      const answer = await askGateway(client, 's09r', { stream: true, headers: RECOVERY_ON });
      primary.script(name, (call) => healthyAnswer(call));
      const after = await askGateway(client, 's09r', { stream: true });
      if (after.kind !== 'answer' || (await fetch(`${url}/health`)).status !== 200)
        return fail('the gateway was not healthy after the stall');
      const basic = basics(answer, [wholeAnswerOf('s09r')]);
      if (basic !== undefined) return basic;
      if (answer.ms > 3 * timings.timeoutMs) return partial(`the whole answer, after ${Math.round(answer.ms)} ms`);
      return pass('the whole answer within the idle timeout; healthy after');
    },
  },
  {
    id: 's10',
    fault: 'invalid JSON as the 10th event',
    expected: 'pass',
    async run({ client, primary }) {
      const name = upstreamNameOf('s10');
      const steps = answerSteps(answerPieces(name), name);
      steps.splice(9, 0, { raw: 'data: {"choices":[{"delta":{"content":"bro\n\n' });
      primary.script(name, () => ({ kind: 'stream', steps }));
      const answer = await askGateway(client, 's10', { stream: true });
      if (answer.kind === 'broken') return fail(`malformed event forwarded: ${answer.message}`);
      return basics(answer, [wholeAnswerOf('s10')]) ?? pass('the whole answer; the bad event skipped');
    },
  },
  {
    id: 's11',
    fault: 'complete stream without `[DONE]`',
    expected: 'pass',
    async run({ client, primary, timings }) {
      const name = upstreamNameOf('s11');
      primary.script(name, () => ({ kind: 'stream', steps: answerSteps(answerPieces(name), name), done: false }));
      const answer = await askGateway(client, 's11', { stream: true, includeUsage: true });
      const basic = basics(answer, [wholeAnswerOf('s11')]);
      if (basic !== undefined) return basic;
      if (JSON.stringify(answer.usage) !== JSON.stringify(USAGE)) return partial('usage missing');
      if (answer.ms >= timings.timeoutMs) return partial(`waited ${Math.round(answer.ms)} ms for an end`);
      return pass('the whole answer at once, usage included');
    },
  },
  {
    id: 's12',
    fault: '400 `context_length_exceeded`',
    expected: 'pass',
    contextWindowFallbacks: { s12: [LONG_MODEL] },
    async run({ client, primary }) {
      primary.script(upstreamNameOf('s12'), () => ({
        kind: 'json',
        status: 400,
        body: {
          error: {
            message: "This model's maximum context length is 128000 tokens.",
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          },
        },
      }));
      const answer = await askGateway(client, 's12');
      const basic = basics(answer, [wholeAnswerOf(LONG_MODEL)]);
      if (basic !== undefined) return basic;
      const tries = primary.scriptedCalls(upstreamNameOf('s12'));
      if (tries > 1) return fail(`the model was tried ${tries} times`);
      return pass(`the context-window fallback's answer; the model tried once`);
    },
  },
  {
    id: 's13',
    fault: '400 `content_policy_violation`',
    expected: 'pass',
    async run({ client, primary, backup }) {
      primary.script(upstreamNameOf('s13'), () => ({
        kind: 'json',
        status: 400,
        body: {
          error: {
            message: 'Rejected by the safety system.',
            type: 'invalid_request_error',
            param: null,
            code: 'content_policy_violation',
          },
        },
      }));
      const fallbackBefore = backup.callsFor(upstreamNameOf(FALLBACK_MODEL));
      const answer = await askGateway(client, 's13');
      if (backup.callsFor(upstreamNameOf(FALLBACK_MODEL)) > fallbackBefore)
        return fail('another model was tried for a content-policy refusal');
      if (primary.scriptedCalls(upstreamNameOf('s13')) > 1) return fail('the refusal was retried');
      if (answer.kind === 'error' && answer.status === 400 && answer.code === 'content_policy_violation')
        return pass("the provider's 400 content_policy_violation");
      return basics(answer, []) ?? fail(`unexpected: ${answer.kind} ${answer.status ?? ''}`);
    },
  },
  {
    id: 's14',
    fault: 'stream cut, fallback rejects assistant prefill',
    expected: 'safe',
    async run({ client, primary, backup }) {
      primary.script(upstreamNameOf('s14'), () => ({ ...firstTokens('s14', 40), then: 'reset' }) as UpstreamScript);
      backup.script(upstreamNameOf(FALLBACK_MODEL), (call) => {
        const messages = (call.body?.messages ?? []) as Array<{ role?: string }>;
        if (messages.at(-1)?.role === 'assistant')
          return {
            kind: 'json',
            status: 400,
            body: { error: { message: 'assistant prefill is not supported', type: 'invalid_request_error' } },
          };
        return healthyAnswer(call);
      });
      try {
        const answer = await askGateway(client, 's14', { stream: true });
        if (answer.kind === 'error' && /prefill/i.test(answer.message ?? ''))
          return fail('the client ended with the prefill rejection');
        const basic = basics(answer, [wholeAnswerOf('s14')]);
        if (basic !== undefined)
          return basic.verdict === 'safe'
            ? { verdict: 'safe', note: 'error event (not the prefill rejection)' }
            : basic;
        return pass('the whole answer (recovered without prefill)');
      } finally {
        backup.script(upstreamNameOf(FALLBACK_MODEL), (call) => healthyAnswer(call));
      }
    },
  },
  {
    id: 's14r',
    fault: 'stream cut, fallback rejects assistant prefill, recovery on',
    expected: 'pass',
    twin: 'claude',
    async run({ client, primary, backup }) {
      const name = upstreamNameOf('s14r');
      primary.script(name, () => ({ ...firstTokens('s14r', 40), then: 'reset' }) as UpstreamScript);
      let prefills = 0;
      backup.script(name, (call) => {
        const messages = (call.body?.messages ?? []) as Array<{ role?: string }>;
        if (messages.at(-1)?.role !== 'assistant') return anthropicStream(wholeAnswerOf('s14r'), name);
        prefills += 1;
        return {
          kind: 'json',
          status: 400,
          body: {
            type: 'error',
            error: { type: 'invalid_request_error', message: 'assistant prefill is not supported for this model' },
          },
        };
      });
      const answer = await askGateway(client, 's14r', { stream: true, headers: RECOVERY_ON });
      if (answer.kind === 'error' && /prefill/i.test(answer.message ?? ''))
        return fail('the client ended with the prefill rejection');
      const basic = basics(answer, [wholeAnswerOf('s14r')]);
      if (basic !== undefined)
        return basic.verdict === 'safe' ? { verdict: 'safe', note: 'error event (not the prefill rejection)' } : basic;
      return pass(`the whole answer (prefill refused ${prefills}×, then asked afresh)`);
    },
  },
  {
    id: 's15',
    fault: 'primary 503 for 60 s, then healthy; a request every 4 s',
    expected: 'pass',
    async run({ client, primary, url, timings }) {
      const name = upstreamNameOf('s15');
      const start = performance.now();
      const served: Array<{ at: number; provider: string | null }> = [];
      let refused = 0;
      try {
        for (let step = 0; ; step += 1) {
          const due = step * timings.requestEveryMs;
          if (due >= timings.outageMs + 2 * timings.backWithinMs) break;
          await sleep(Math.max(0, start + due - performance.now()));
          const down = performance.now() - start < timings.outageMs;
          primary.server.setHealthy(!down);
          primary.script(name, (call) => (down ? errorScript(503, 'primary is down') : healthyAnswer(call)));
          const answer = await askGateway(client, 's15');
          const basic = basics(answer, [wholeAnswerOf('s15'), wholeAnswerOf(FALLBACK_MODEL)]);
          if (basic?.verdict === 'fail') return basic;
          if (answer.kind === 'error') refused += 1;
          else served.push({ at: due, provider: answer.headers?.get('x-switchboard-provider') ?? null });
        }
      } finally {
        primary.server.setHealthy(true);
      }
      const metrics = await metricsText(url);
      const moved = (from: string, to: string) =>
        metricValue(metrics, `circuit_state_changes_total{provider="primary",from="${from}",to="${to}",model="s15"}`);
      const circuit = `circuit ${moved('closed', 'open')}× opened, ${moved('open', 'half_open')}× probed, ${moved('half_open', 'closed')}× closed`;
      const back = served.find((entry) => entry.at >= timings.outageMs && entry.provider === 'primary');
      const stayed = back !== undefined && served.every((entry) => entry.at < back.at || entry.provider === 'primary');
      const scaled = timings.scale === 1 ? '' : ` (times × ${timings.scale})`;
      if (refused > 0) return partial(`${refused} requests refused; ${circuit}${scaled}`);
      if (moved('closed', 'open') === 0 || moved('half_open', 'closed') === 0)
        return partial(`every request served, but ${circuit}${scaled}`);
      if (back === undefined || back.at - timings.outageMs > timings.backWithinMs || !stayed)
        return partial(`every request served, traffic not back on the primary in time; ${circuit}${scaled}`);
      return pass(
        `${served.length} served; ${circuit}; back on the primary ${((back.at - timings.outageMs) / 1000).toFixed(1)} s after recovery${scaled}`,
      );
    },
  },
  {
    id: 's16',
    fault: 'primary 503, fallback OK',
    expected: 'pass',
    async run({ client, primary, url }) {
      primary.script(upstreamNameOf('s16'), () => errorScript(503, 'overloaded'));
      const answer = await askGateway(client, 's16');
      const basic = basics(answer, [wholeAnswerOf(FALLBACK_MODEL)]);
      if (basic !== undefined) return basic;
      if (answer.bodyModel !== upstreamNameOf(FALLBACK_MODEL)) return fail(`body model ${answer.bodyModel}`);
      if (JSON.stringify(answer.usage) !== JSON.stringify(USAGE)) return fail('usage is not the fallback answer’s');
      const metrics = await metricsText(url);
      if (/switchboard_(requests|tokens)_total\{provider="primary",model="s16"/.test(metrics))
        return fail('a failed try was counted as a completion');
      return pass("the fallback's model and usage; failed tries not counted");
    },
  },
  {
    id: 's17',
    fault: 'model A answers 429 `retry-after: 30` at a provider that also serves model B',
    expected: 'pass',
    models: ['s17a', 's17b'],
    fallbacks: { s17a: ['s17b'] },
    async run({ client, primary }) {
      primary.script(upstreamNameOf('s17a'), () =>
        errorScript(429, 'model A is rate limited', { 'retry-after': '30' }),
      );
      const viaFallback = await askGateway(client, 's17a');
      const direct = await askGateway(client, 's17b');
      const again = await askGateway(client, 's17a');
      for (const answer of [viaFallback, direct, again]) {
        if (answer.kind === 'error' && (answer.status === 429 || answer.status === 503))
          return fail(`gateway-made ${answer.status}`);
        const basic = basics(answer, [wholeAnswerOf('s17b')]);
        if (basic !== undefined) return basic;
      }
      if (direct.headers?.get('x-switchboard-attempts') !== '1') return partial('model B was not served at once');
      if (primary.scriptedCalls(upstreamNameOf('s17a')) > 1)
        return partial('model A was tried again while cooling down');
      return pass('model B served at once, directly and as the fallback');
    },
  },
];

/** Every public model the scenarios put on the primary. */
export function primaryModelsOf(scenarios: readonly FailoverScenario[]): string[] {
  return scenarios.flatMap((scenario) => scenario.models ?? [scenario.id]);
}

/** Every upstream model name a scenario may reach (its own, the fallback's, the long model's). */
export function upstreamModelsOf(scenario: FailoverScenario): string[] {
  return [...(scenario.models ?? [scenario.id]), FALLBACK_MODEL, LONG_MODEL].map(upstreamNameOf);
}
