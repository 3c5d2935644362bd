import { z } from 'zod';

const NUMERIC_STRING = /^\s*-?\d+(\.\d+)?\s*$/;

/** Numbers may arrive as strings after `${ENV}` interpolation (`port: ${PORT}`); accept those. */
export function numeric<Schema extends z.ZodNumber>(schema: Schema) {
  return z.preprocess(
    (value) => (typeof value === 'string' && NUMERIC_STRING.test(value) ? Number(value) : value),
    schema,
  );
}

/** An integer ≥ 1, also from an interpolated string. */
export const positiveInteger = numeric(z.number().int().positive());

/** An integer ≥ 0, also from an interpolated string. */
export const nonNegativeInteger = numeric(z.number().int().nonnegative());

/** A non-empty string. */
export const nonEmptyString = z.string().min(1, 'must not be empty');
