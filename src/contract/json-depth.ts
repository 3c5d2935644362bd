/**
 * How deeply a JSON text nests, checked on the text before anything re-encodes it:
 * `JSON.parse` copes with any depth, but `JSON.stringify` (and every recursive walk) overflows
 * the stack somewhere past a few thousand levels. One linear scan; strings skipped with `indexOf`.
 */

/** Deepest nesting of arrays and objects a request body may have (tool schemas use a few dozen at most). */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * True when the JSON `text` nests arrays and objects more than `maxDepth` levels deep.
 * Brackets inside strings do not count. Meant for text `JSON.parse` accepted.
 *
 * @example
 * ```ts
 * exceedsJsonDepth('[[1]]', 1); // true
 * exceedsJsonDepth('{"a":"[[["}', 1); // false
 * ```
 */
export function exceedsJsonDepth(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  const length = text.length;
  for (let index = 0; index < length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = closingQuote(text, index);
      if (index === -1) return false;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}

/** The index of the quote closing the string that opens at `start`, or -1. */
function closingQuote(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}
