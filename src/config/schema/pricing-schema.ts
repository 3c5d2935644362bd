import { z } from 'zod';
import { numeric } from './numeric.ts';

const nonNegativeNumber = numeric(z.number().nonnegative());

/** One price: US dollars per million input and output tokens. */
export const modelPriceSchema = z.strictObject({
  inputPerMTok: nonNegativeNumber,
  outputPerMTok: nonNegativeNumber,
});

/** `providers[].pricing`: one price for every model, or a map from public model name to its price. */
export const pricingSchema = z.union([modelPriceSchema, z.record(z.string().min(1), modelPriceSchema)]);
