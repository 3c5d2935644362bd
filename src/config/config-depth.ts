/**
 * How deeply a parsed config nests, found without recursion: the interpolation walk and error
 * formatting recurse, so a config nested a few thousand levels (or a cyclic object built in code)
 * would overflow the stack before any field could be named.
 */

/** Deepest nesting of objects and arrays a config may have (the real schema uses at most five levels). */
export const MAX_CONFIG_DEPTH = 32;

/**
 * The path of the first value nested deeper than `maxDepth` objects and arrays, or `undefined`
 * when the whole config is shallower. Iterative; a cycle counts as too deep.
 *
 * @example
 * ```ts
 * pathTooDeep({ server: { a: { b: {} } } }, 2); // ['server', 'a', 'b']
 * ```
 */
export function pathTooDeep(value: unknown, maxDepth: number = MAX_CONFIG_DEPTH): PropertyKey[] | undefined {
  const pending: { node: unknown; path: PropertyKey[] }[] = [{ node: value, path: [] }];
  while (pending.length > 0) {
    const { node, path } = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (path.length >= maxDepth) return path;
    if (Array.isArray(node)) node.forEach((child, index) => pending.push({ node: child, path: [...path, index] }));
    else for (const [key, child] of Object.entries(node)) pending.push({ node: child, path: [...path, key] });
  }
  return undefined;
}
