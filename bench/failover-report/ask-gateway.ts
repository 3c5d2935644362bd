/**
 * One request through the gateway with the official `openai` client, summarised for judging: the
 * whole text, or the error that ended it (an HTTP error, an SSE error event, a broken stream),
 * or a hang (no end within `hangMs`).
 */
import OpenAI, { APIError } from 'openai';

/** How one request ended. */
export interface GatewayAnswer {
  /** `answer`: ended cleanly; `error`: a clean error (status or SSE error event); `broken`: anything else thrown; `hang`: no end in time. */
  kind: 'answer' | 'error' | 'broken' | 'hang';
  /** Content received (for a stream, what arrived before the end). */
  text: string;
  status?: number;
  code?: string | null;
  message?: string;
  /** The body's `model` (non-streamed) or the chunks' `model`. */
  bodyModel?: string;
  usage?: unknown;
  /** Response headers (absent when the request failed before them). */
  headers?: Headers;
  /** Time to the end, in ms. */
  ms: number;
}

/** Options of `askGateway`. */
export interface AskOptions {
  stream?: boolean;
  includeUsage?: boolean;
  /** No end within this is a hang. Default 15 000. */
  hangMs?: number;
  /** Extra request headers (e.g. `x-switchboard-stream-recovery`). */
  headers?: Record<string, string>;
}

/** A client for the gateway at `url` (no retries of its own). */
export function gatewayClient(url: string): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: 'failover-report', maxRetries: 0, timeout: 60_000 });
}

/**
 * Sends one chat request for `model` and reads it to the end.
 *
 * @example
 * ```ts
 * const answer = await askGateway(client, 'smart', { stream: true });
 * if (answer.kind === 'answer') console.log(answer.text);
 * ```
 */
export async function askGateway(client: OpenAI, model: string, options: AskOptions = {}): Promise<GatewayAnswer> {
  const started = performance.now();
  const hangMs = options.hangMs ?? 15_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), hangMs);
  const answer: GatewayAnswer = { kind: 'answer', text: '', ms: 0 };
  const messages = [{ role: 'user' as const, content: 'Tell me something long.' }];
  try {
    if (options.stream === true) {
      const { data: stream, response } = await client.chat.completions
        .create(
          {
            model,
            messages,
            stream: true,
            ...(options.includeUsage === true ? { stream_options: { include_usage: true } } : {}),
          },
          { signal: controller.signal, ...(options.headers ? { headers: options.headers } : {}) },
        )
        .withResponse();
      answer.headers = response.headers;
      for await (const chunk of stream) {
        answer.text += chunk.choices[0]?.delta.content ?? '';
        answer.bodyModel ??= chunk.model;
        if (chunk.usage) answer.usage = chunk.usage;
      }
    } else {
      const { data, response } = await client.chat.completions
        .create(
          { model, messages },
          { signal: controller.signal, ...(options.headers ? { headers: options.headers } : {}) },
        )
        .withResponse();
      answer.headers = response.headers;
      answer.text = data.choices[0]?.message.content ?? '';
      answer.bodyModel = data.model;
      answer.usage = data.usage;
    }
  } catch (error) {
    if (controller.signal.aborted) answer.kind = 'hang';
    else if (error instanceof APIError && (error.status !== undefined || error.error !== undefined)) {
      answer.kind = 'error';
      answer.status = error.status;
      answer.code = error.code ?? null;
      answer.message = error.message;
      answer.headers ??= error.headers;
    } else {
      answer.kind = 'broken';
      answer.message = (error as Error).message;
    }
  } finally {
    clearTimeout(timer);
  }
  answer.ms = performance.now() - started;
  return answer;
}
