/**
 * An upstream's model list (`GET /models`, OpenAI's and Anthropic's `{ data: [{ id }] }` shape)
 * read by the health probe, for `/v1/models` of a provider serving `"*"`: bounded in size and count.
 */

/** Model-list bodies larger than this are not read (the probe still fails or succeeds on status). */
export const MODEL_LIST_MAX_BYTES = 1024 * 1024;
/** At most this many ids are kept per provider. */
export const MODEL_LIST_MAX_IDS = 1000;
const MAX_ID_LENGTH = 256;

/**
 * The model ids of a model-list body, or undefined when it is not one.
 *
 * @example
 * ```ts
 * parseModelList('{"object":"list","data":[{"id":"gpt-4o"}]}'); // ['gpt-4o']
 * ```
 */
export function parseModelList(text: string): string[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const data = (value as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  const ids: string[] = [];
  for (const entry of data) {
    const id = (entry as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH) ids.push(id);
    if (ids.length >= MODEL_LIST_MAX_IDS) break;
  }
  return ids;
}
