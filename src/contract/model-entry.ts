/**
 * One entry of a provider's model list: a plain string serves that name and sends it upstream
 * unchanged; `{ name, upstream }` serves the public `name` (what clients ask for) and sends
 * `upstream` to the provider. `'*'` (as a string) serves any name, sent as asked.
 *
 * @example
 * ```ts
 * const models: ModelEntry[] = ['gpt-4o-mini', { name: 'smart', upstream: 'gpt-4o' }];
 * ```
 */
export type ModelEntry = string | { readonly name: string; readonly upstream: string };

/** The public name of a model entry (what clients ask for and `/v1/models` lists). */
export function modelEntryName(entry: ModelEntry): string {
  return typeof entry === 'string' ? entry : entry.name;
}

/** The name sent upstream for a model entry (the public name for a plain string). */
export function modelEntryUpstream(entry: ModelEntry): string {
  return typeof entry === 'string' ? entry : entry.upstream;
}
