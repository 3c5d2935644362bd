/**
 * `body` as the attempt's deployment must receive it: its `model` set to `upstreamModel` (an
 * alias's upstream name, or a fallback model's). The body itself, its raw JSON kept, when that is
 * the name it already carries; else a copy (serialised afresh).
 *
 * @example
 * ```ts
 * router.call(model, (adapter, callOptions, upstreamModel) => adapter.embeddings!(withUpstreamModel(request, upstreamModel), callOptions));
 * ```
 */
export function withUpstreamModel<Body extends { model: string }>(body: Body, upstreamModel: string): Body {
  return body.model === upstreamModel ? body : { ...body, model: upstreamModel };
}
