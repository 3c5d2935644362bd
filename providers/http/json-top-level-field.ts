/**
 * Setting one top-level field of a JSON object given as text, without parsing and
 * serialising the rest: the client's bytes go upstream as received (unknown fields, number
 * formats, key order and unicode escapes intact), and a body too deep for `JSON.stringify`
 * is never re-encoded. One linear scan; strings are skipped with `indexOf`.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * `text` (a JSON object) with every top-level `key` set to the JSON text `valueJson`, or the
 * field added first when absent. Returns undefined when `text` is not a JSON object (the caller
 * then serialises the parsed value instead).
 *
 * @example
 * ```ts
 * setTopLevelField('{"model":"m","stream":null}', 'stream', 'true'); // '{"model":"m","stream":true}'
 * setTopLevelField('{"model":"m"}', 'stream', 'true'); // '{"stream":true,"model":"m"}'
 * ```
 */
export function setTopLevelField(text: string, key: string, valueJson: string): string | undefined {
  return setTopLevelFields(text, [key], [valueJson]);
}

/**
 * `setTopLevelField` for several keys in one scan: every top-level `keys[i]` set to the JSON text
 * `valuesJson[i]`, the absent ones added first (in `keys` order). Undefined when `text` is not a
 * JSON object.
 *
 * @example
 * ```ts
 * setTopLevelFields('{"model":"m"}', ['stream', 'n'], ['true', '1']); // '{"stream":true,"n":1,"model":"m"}'
 * ```
 */
export function setTopLevelFields(
  text: string,
  keys: readonly string[],
  valuesJson: readonly string[],
): string | undefined {
  let index = skipWhitespace(text, 0);
  if (text.charCodeAt(index) !== OPEN_BRACE) return undefined;
  const open = index;
  index += 1;
  /** Per replaced value: start, end, key index. */
  const spans: number[] = [];
  let found = 0;
  index = skipWhitespace(text, index);
  if (text.charCodeAt(index) === CLOSE_BRACE)
    return `${text.slice(0, open + 1)}${fieldsText(keys, valuesJson, 0, '')}${text.slice(index)}`;
  for (;;) {
    index = skipWhitespace(text, index);
    if (text.charCodeAt(index) !== QUOTE) return undefined;
    const keyEnd = stringEnd(text, index);
    if (keyEnd === -1) return undefined;
    const rawKey = text.slice(index + 1, keyEnd - 1);
    index = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(index) !== COLON) return undefined;
    const valueStart = skipWhitespace(text, index + 1);
    const valueEnd = valueEndAt(text, valueStart);
    if (valueEnd === -1) return undefined;
    const keyIndex = keyIndexOf(keys, rawKey);
    if (keyIndex !== -1) {
      spans.push(valueStart, valueEnd, keyIndex);
      found |= 1 << keyIndex;
    }
    index = skipWhitespace(text, valueEnd);
    const separator = text.charCodeAt(index);
    if (separator === COMMA) {
      index += 1;
      continue;
    }
    if (separator !== CLOSE_BRACE) return undefined;
    break;
  }
  let result = text.slice(0, open + 1) + fieldsText(keys, valuesJson, found, ',');
  let copied = open + 1;
  for (let span = 0; span < spans.length; span += 3) {
    result += text.slice(copied, spans[span]) + (valuesJson[spans[span + 2] as number] as string);
    copied = spans[span + 1] as number;
  }
  return result + text.slice(copied);
}

/** `"key":value` of each key not in the bit set `found`, each followed by `separator` but the last when it is ''. */
function fieldsText(keys: readonly string[], valuesJson: readonly string[], found: number, separator: string): string {
  let fields = '';
  for (let index = 0; index < keys.length; index += 1) {
    if ((found & (1 << index)) !== 0) continue;
    if (separator === '' && fields !== '') fields += ',';
    fields += `"${keys[index] as string}":${valuesJson[index] as string}${separator}`;
  }
  return fields;
}

/** The index of `rawKey` (a key's text between its quotes, escapes undecoded) in `keys`, or -1. */
function keyIndexOf(keys: readonly string[], rawKey: string): number {
  let index = keys.indexOf(rawKey);
  if (index === -1 && rawKey.includes('\\')) {
    const decoded = decodedKey(rawKey);
    if (decoded !== undefined) index = keys.indexOf(decoded);
  }
  return index;
}

function skipWhitespace(text: string, index: number): number {
  for (;;) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return index;
    index += 1;
  }
}

/** The index just past the string starting at `start` (a quote), or -1. */
function stringEnd(text: string, start: number): number {
  let index = start + 1;
  for (;;) {
    const quote = text.indexOf('"', index);
    if (quote === -1) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    index = quote + 1;
  }
}

/** The index just past the JSON value starting at `start`, or -1. */
function valueEndAt(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return stringEnd(text, start);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let index = start;
    for (;;) {
      const code = text.charCodeAt(index);
      if (Number.isNaN(code) || code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET) break;
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) break;
      index += 1;
    }
    return index === start ? -1 : index;
  }
  let depth = 0;
  let index = start;
  for (;;) {
    const code = text.charCodeAt(index);
    if (Number.isNaN(code)) return -1;
    if (code === QUOTE) {
      index = stringEnd(text, index);
      if (index === -1) return -1;
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth += 1;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
    index += 1;
  }
}

function decodedKey(rawKey: string): string | undefined {
  try {
    return JSON.parse(`"${rawKey}"`) as string;
  } catch {
    return undefined;
  }
}
