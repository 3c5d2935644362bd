/**
 * Issue 12, "Must show": property-based fuzzing of request bodies. Any JSON value (any shape, depth
 * and unicode, any size up to and past the body limit) and near-valid bodies with fuzzed fields,
 * sent to `/v1/chat/completions`, `/v1/embeddings` and `/v1/messages` over real sockets, must be
 * answered within a bound, never with a 5xx (the scripted upstreams always answer well, so any 5xx
 * is the gateway's own), never crash the process, never log an unexpected error, and never count a
 * failure against a provider or move a circuit.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogRecord } from '../../src/gateway/request-log.ts';
import { startHarness, type Harness } from '../support/gateway-harness.ts';
import { FUZZ_SECONDS, fuzzParameters } from '../support/fuzz-settings.ts';
import { completionBody, streamScript, type UpstreamCall, type UpstreamScript } from '../support/openai-upstream.ts';

/** The gateway's body limit here: small, so bodies up to and past it are cheap to generate. */
const MAX_BODY_BYTES = 64 * 1024;
/** Every request must be answered (headers and whole body) within this; the upstreams answer at once. */
const ANSWER_BOUND_MS = 5_000;
const PROPERTY_TIMEOUT_MS = FUZZ_SECONDS * 1_000 + 20_000;

const CHAT_MODEL = 'gpt-4o-mini';
const EMBEDDING_MODEL = 'text-embedding-3-small';
const MESSAGES_MODEL = 'claude-sonnet-4-5';

let harness: Harness;
/** Everything that would show the gateway blaming a provider or failing on its own. */
const violations: string[] = [];
/** Request ids whose `request` log line (written once the answer is finished) has been seen, and who waits for one. */
const loggedRequests = new Set<string>();
const logWaiters = new Map<string, () => void>();

/** Answers like a healthy OpenAI upstream: embeddings, a stream when asked for one, a completion otherwise. */
function healthyAnswer(call: UpstreamCall): UpstreamScript {
  if (call.url.endsWith('/embeddings')) {
    return {
      kind: 'json',
      body: {
        object: 'list',
        data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2, 0.3] }],
        model: EMBEDDING_MODEL,
        usage: { prompt_tokens: 3, total_tokens: 3 },
      },
    };
  }
  const body = call.body as { stream?: unknown } | undefined;
  if (body !== null && typeof body === 'object' && body.stream === true) return streamScript(['fuzz', 'ed']);
  return { kind: 'json', body: completionBody('fuzzed') };
}

beforeAll(async () => {
  harness = await startHarness({
    upstreams: [
      { name: 'primary', models: [CHAT_MODEL, EMBEDDING_MODEL, MESSAGES_MODEL] },
      { name: 'secondary', models: [CHAT_MODEL, EMBEDDING_MODEL, MESSAGES_MODEL] },
    ],
    server: { maxBodyBytes: MAX_BODY_BYTES },
    // A single counted failure would open a circuit: the property checks none ever happens.
    router: { maxAttempts: 2, circuitBreaker: { consecutiveFailureLimit: 1 } },
    bootstrap: {
      logger: (record: RequestLogRecord) => {
        if (record.level === 'error') violations.push(`error log: ${record.msg} ${record.error ?? ''}`);
        if (record.msg === 'request' && record.id !== undefined) {
          loggedRequests.add(record.id);
          logWaiters.get(record.id)?.();
        }
      },
    },
  });
  for (const upstream of Object.values(harness.upstreams)) upstream.setDefault(healthyAnswer);
  harness.running.router.on('result', (event) => {
    if (!event.success && event.countsAsFailure !== false)
      violations.push(`a failure counted against ${event.provider}`);
  });
  harness.running.router.on('circuitStateChange', (event) =>
    violations.push(`circuit of ${event.provider} went ${event.from} → ${event.to}`),
  );
});

afterAll(async () => {
  await harness?.close();
});

/** Resolves once the gateway has logged the request `id` as finished (or after `ANSWER_BOUND_MS`). */
function requestLogged(id: string): Promise<void> {
  if (loggedRequests.delete(id)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ANSWER_BOUND_MS);
    function done() {
      clearTimeout(timer);
      logWaiters.delete(id);
      loggedRequests.delete(id);
      resolve();
    }
    logWaiters.set(id, done);
  });
}

/** Sends one body, reads the whole answer within `ANSWER_BOUND_MS` and waits for its log line; returns its status. */
async function send(path: string, body: string | Uint8Array): Promise<{ status: number; text: string }> {
  const signal = AbortSignal.timeout(ANSWER_BOUND_MS);
  let answer: { status: number; text: string; id: string | null };
  try {
    const response = await fetch(`${harness.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal,
    });
    answer = { status: response.status, text: await response.text(), id: response.headers.get('x-request-id') };
  } catch (error) {
    throw new Error(`${path}: no complete answer within ${ANSWER_BOUND_MS} ms`, { cause: error });
  }
  if (answer.id !== null) await requestLogged(answer.id);
  return answer;
}

/** The checks after every fuzzed request: no 5xx, an error body when refused, no counted failure, circuits closed. */
async function expectHarmless(path: string, body: string | Uint8Array): Promise<void> {
  violations.length = 0;
  const { status, text } = await send(path, body);
  const seen = violations.splice(0);
  if (status >= 500) throw new Error(`${path} answered ${status}: ${text.slice(0, 300)} ${seen.join('; ')}`);
  if (status >= 400 && !/"error"/.test(text)) throw new Error(`${path} answered ${status} without an error body`);
  if (seen.length > 0) throw new Error(seen.join('; '));
  for (const name of ['primary', 'secondary']) {
    const state = harness.running.router.circuitState(name);
    if (state !== 'closed') throw new Error(`circuit of ${name} is ${state}`);
  }
}

const ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings', '/v1/messages'] as const;
const endpoint = fc.constantFrom(...ENDPOINTS);

/** Any JSON value, any unicode in keys and strings (lone surrogates included). */
const anyJson = fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' });

/** Arrays and objects nested `depth` deep, brackets of both kinds. */
const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
  .map(([depth, objects]) =>
    objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`,
  );

/** A valid body for each endpoint, as an object to fuzz. */
function validBody(path: (typeof ENDPOINTS)[number]): Record<string, unknown> {
  if (path === '/v1/embeddings') return { model: EMBEDDING_MODEL, input: 'hello' };
  if (path === '/v1/messages')
    return { model: MESSAGES_MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] };
  return { model: CHAT_MODEL, messages: [{ role: 'user', content: 'hello' }] };
}

/** Content blocks and parts of both APIs, with any of their fields present, missing or odd. */
const contentBlock = fc.record(
  {
    type: fc.oneof(
      fc.constantFrom('text', 'image', 'image_url', 'tool_use', 'tool_result', 'thinking', 'input_audio', 'document'),
      anyJson,
    ),
    text: fc.oneof(fc.string(), anyJson),
    id: fc.oneof(fc.string(), anyJson),
    name: fc.oneof(fc.string(), anyJson),
    input: anyJson,
    tool_use_id: anyJson,
    content: fc.oneof(
      fc.string(),
      fc.array(fc.record({ type: fc.constantFrom('text', 'image'), text: anyJson })),
      anyJson,
    ),
    source: fc.oneof(fc.record({ type: fc.constantFrom('base64', 'url'), data: anyJson, url: anyJson }), anyJson),
    image_url: fc.oneof(fc.record({ url: anyJson }), anyJson),
    is_error: anyJson,
  },
  { requiredKeys: [] },
);

/** Values a fuzzed field takes: anything, or values close to valid ones. */
const fieldValue = fc.oneof(
  anyJson,
  fc.array(contentBlock, { maxLength: 3 }),
  fc.array(
    fc.record(
      {
        role: fc.constantFrom('user', 'assistant', 'system', 'tool'),
        content: fc.oneof(fc.string(), fc.array(contentBlock, { maxLength: 3 })),
        tool_calls: anyJson,
        tool_call_id: anyJson,
      },
      { requiredKeys: ['role'] },
    ),
    { maxLength: 3 },
  ),
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('auto', 'any', 'tool', 'none', 'function', 'json_schema'), anyJson),
      name: anyJson,
      function: anyJson,
    },
    { requiredKeys: [] },
  ),
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, '', 'user', 'assistant', 'system', 'tool', []),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(CHAT_MODEL, EMBEDDING_MODEL, MESSAGES_MODEL),
  fc.array(fc.record({ role: fc.constantFrom('user', 'assistant', 'system', 'tool'), content: anyJson })),
);

const FIELD_NAMES = [
  'model',
  'messages',
  'stream',
  'input',
  'max_tokens',
  'max_completion_tokens',
  'tools',
  'tool_choice',
  'stream_options',
  'temperature',
  'n',
  'stop',
  'system',
  'response_format',
  'encoding_format',
  'dimensions',
  'metadata',
  'user',
  '__proto__',
  'constructor',
] as const;

/** A valid body with some fields replaced, removed or added, and maybe one message fuzzed. */
const nearValidBody = fc
  .record({
    path: endpoint,
    // One body in three keeps its fields, so streams and translations are exercised too.
    changes: fc.oneof(
      { arbitrary: fc.constant([]), weight: 1 },
      {
        arbitrary: fc.array(
          fc.record({ field: fc.constantFrom(...FIELD_NAMES), value: fc.option(fieldValue, { nil: undefined }) }),
          { minLength: 1, maxLength: 3 },
        ),
        weight: 2,
      },
    ),
    stream: fc.constantFrom(undefined, true, false, null),
    messageField: fc.option(fc.tuple(fc.constantFrom('role', 'content', 'name', 'tool_calls'), fieldValue)),
    nested: fc.option(deepNesting, { freq: 8 }),
  })
  .map(({ path, changes, stream, messageField, nested }) => {
    const body = validBody(path);
    if (stream !== undefined) body.stream = stream;
    for (const { field, value } of changes) {
      // defineProperty: `__proto__` becomes an own key of the JSON text, as a client would send it.
      if (value === undefined) delete body[field];
      else Object.defineProperty(body, field, { value, enumerable: true, writable: true, configurable: true });
    }
    if (messageField !== null && Array.isArray(body.messages) && body.messages.length > 0) {
      const [name, value] = messageField;
      body.messages = [{ ...(body.messages[0] as object), [name]: value }];
    }
    let text = JSON.stringify(body);
    if (nested !== null) text = `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"extra":${nested}}`;
    return { path, text };
  });

/** A near-valid body padded with one long string so its size falls anywhere up to and past the limit. */
const sizedBody = fc
  .record({
    path: endpoint,
    size: fc.integer({ min: 0, max: MAX_BODY_BYTES + 4_096 }),
    character: fc.constantFrom('a', 'é', '😀', '\\n', '"'),
    field: fc.constantFrom('content', 'extra'),
  })
  .map(({ path, size, character, field }) => {
    const body = validBody(path);
    const filler = (character === '"' ? '\\"' : character).repeat(Math.ceil(size / Buffer.byteLength(character)));
    const skeleton = JSON.stringify(body);
    const text =
      field === 'content' && path !== '/v1/embeddings'
        ? skeleton.replace('"hello"', `"${filler}"`)
        : `${skeleton.slice(0, -1)},"extra":"${filler}"}`;
    return { path, text };
  });

describe('fuzzed request bodies never hurt the gateway or a provider', () => {
  it(
    'answers any JSON value (any shape, depth and unicode) without a 5xx, a hang or a counted failure',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          endpoint,
          fc.oneof(
            anyJson.map((value) => JSON.stringify(value)),
            deepNesting,
          ),
          (path, text) => expectHarmless(path, text),
        ),
        fuzzParameters(400),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers near-valid bodies with fuzzed fields, messages and deep extras without a 5xx or a counted failure',
    async () => {
      await fc.assert(
        fc.asyncProperty(nearValidBody, ({ path, text }) => expectHarmless(path, text)),
        fuzzParameters(600),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers bodies of any size up to and past the limit, and arbitrary bytes, without a 5xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            sizedBody,
            fc.record({ path: endpoint, text: fc.uint8Array({ maxLength: 2_048 }) }),
            fc.record({ path: endpoint, text: fc.string({ unit: 'binary', maxLength: 2_048 }) }),
          ),
          ({ path, text }) => expectHarmless(path, text),
        ),
        fuzzParameters(300),
      );
      // Still serving after all that.
      const completion = await harness.client.chat.completions.create({
        model: CHAT_MODEL,
        messages: [{ role: 'user', content: 'still there?' }],
      });
      expect(completion.choices[0]?.message.content).toBe('fuzzed');
    },
    PROPERTY_TIMEOUT_MS,
  );
});
