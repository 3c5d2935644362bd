import type { z } from 'zod';
import type { ConfigIssue } from '../contract/configuration-error.ts';
import { closestKey } from './closest-key.ts';
import { formatPath } from './config-error.ts';

/** The parts of zod's internal definition this module walks (zod 4's `_zod.def`). */
interface SchemaDefinition {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
}

/**
 * Turns zod's issues into config issues by path. An unknown key becomes one issue per key, at the
 * key's own path, naming the closest known key of that object, e.g.
 * `server.prot: unknown key (did you mean 'port'?)`; for a `providers[]` entry, a key that belongs
 * to another provider type says so.
 *
 * @example
 * ```ts
 * const result = configSchema.safeParse(raw);
 * if (!result.success) throw new ConfigurationError(toConfigIssues(configSchema, raw, result.error.issues));
 * ```
 */
export function toConfigIssues(schema: z.ZodType, input: unknown, issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const result: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') {
      result.push({ path: formatPath(issue.path), message: issue.message });
      continue;
    }
    const objectSchema = schemaAt(schema, input, issue.path);
    for (const key of issue.keys) {
      result.push({ path: formatPath([...issue.path, key]), message: unknownKeyMessage(key, objectSchema) });
    }
  }
  return result;
}

/** `unknown key (did you mean 'port'?)`, or the list of known keys when none is close. */
function unknownKeyMessage(key: string, located: LocatedObject | undefined): string {
  if (located === undefined) return 'unknown key';
  const known = Object.keys(located.shape);
  const owners = located.siblings
    .filter((sibling) => sibling.type !== located.type && Object.hasOwn(sibling.shape, key))
    .map((sibling) => `'${sibling.type}'`);
  if (owners.length > 0 && located.type !== undefined)
    return `unknown key for type '${located.type}' (an option of type ${owners.join(', ')})`;
  const suggestion = closestKey(key, known);
  if (suggestion !== undefined) return `unknown key (did you mean '${suggestion}'?)`;
  return `unknown key (known keys: ${known.join(', ')})`;
}

/** An object schema found at a path, and for a discriminated union the other options and the type chosen. */
interface LocatedObject {
  shape: Record<string, z.ZodType>;
  type: string | undefined;
  siblings: { type: string | undefined; shape: Record<string, z.ZodType> }[];
}

/** The object schema that validated the value at `path` of `input`, walking wrappers, arrays and unions. */
function schemaAt(schema: z.ZodType, input: unknown, path: readonly PropertyKey[]): LocatedObject | undefined {
  let current: z.ZodType | undefined = schema;
  let value = input;
  let located: LocatedObject | undefined;
  for (let index = 0; index <= path.length && current !== undefined; index += 1) {
    located = undefined;
    // Unwrap until an object, array, record or union.
    for (let unwrapping = 0; unwrapping < 16 && current !== undefined; unwrapping += 1) {
      const definition = definitionOf(current);
      if (definition.innerType !== undefined) current = definition.innerType;
      else if (definition.type === 'pipe') current = definition.out;
      else if (definition.type === 'union' && definition.options !== undefined) {
        const choice = chooseOption(definition, value);
        located = choice;
        current = choice === undefined ? undefined : (choice.schema as z.ZodType);
        break;
      } else break;
    }
    if (current === undefined) return undefined;
    if (index === path.length) {
      const shape = definitionOf(current).shape;
      if (shape === undefined) return undefined;
      return { shape, type: located?.type, siblings: located?.siblings ?? [] };
    }
    const segment = path[index]!;
    const definition = definitionOf(current);
    if (definition.type === 'object' && definition.shape !== undefined) current = definition.shape[String(segment)];
    else if (definition.type === 'array') current = definition.element;
    else if (definition.type === 'record') current = definition.valueType;
    else return undefined;
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[segment] : undefined;
  }
  return undefined;
}

function chooseOption(
  definition: SchemaDefinition,
  value: unknown,
): (LocatedObject & { schema: z.ZodType }) | undefined {
  const discriminator = definition.discriminator;
  const options = (definition.options ?? []).map((option) => {
    const shape = definitionOf(option).shape ?? {};
    const literal = discriminator === undefined ? undefined : shape[discriminator];
    const values = literal === undefined ? undefined : (definitionOf(literal) as { values?: unknown[] }).values;
    return { schema: option, shape, type: values?.length === 1 ? String(values[0]) : undefined };
  });
  const chosenType =
    discriminator !== undefined && value !== null && typeof value === 'object'
      ? (value as Record<string, unknown>)[discriminator]
      : undefined;
  const chosen = options.find((option) => option.type !== undefined && option.type === chosenType) ?? options[0];
  if (chosen === undefined) return undefined;
  return { ...chosen, siblings: options.map(({ type, shape }) => ({ type, shape })) };
}

function definitionOf(schema: z.ZodType): SchemaDefinition {
  return (schema as unknown as { _zod: { def: SchemaDefinition } })._zod.def;
}
