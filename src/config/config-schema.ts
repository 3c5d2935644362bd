import { z } from 'zod';
import { providerEntrySchema } from './schema/provider-schema.ts';
import { routerSchema } from './schema/router-schema.ts';
import { serverSchema } from './schema/server-schema.ts';
import { stateSchema } from './schema/state-schema.ts';

export { PROVIDER_TYPES, type ProviderType } from '../contract/provider-types.ts';
export { rateLimitSchema, serverSchema } from './schema/server-schema.ts';
export { healthCheckSchema, routerSchema } from './schema/router-schema.ts';
export { circuitBreakerSchema, circuitBreakerSettingsSchema } from './schema/circuit-breaker-schema.ts';
export { redisStateSchema, stateSchema } from './schema/state-schema.ts';
export { providerEntrySchema, providerEntrySchemas } from './schema/provider-schema.ts';
export { modelPriceSchema, pricingSchema } from './schema/pricing-schema.ts';
export { fallbackChainsSchema, modelEntrySchema, retrySchema, MAX_MODEL_NAME_LENGTH } from './schema/model-schema.ts';

/**
 * The whole config file. Every object is strict: an unknown key anywhere is an error naming its
 * path and the closest known key. Each section lives in its own file under `schema/`; a new
 * top-level section is added here.
 */
export const configSchema = z
  .strictObject({
    server: serverSchema.prefault({}),
    router: routerSchema.prefault({}),
    providers: z.array(providerEntrySchema).default([]),
    state: stateSchema.optional(),
  })
  .superRefine((config, context) => {
    const seen = new Map<string, number>();
    config.providers.forEach((provider, index) => {
      const first = seen.get(provider.name);
      if (first === undefined) seen.set(provider.name, index);
      else
        context.addIssue({
          code: 'custom',
          path: ['providers', index, 'name'],
          message: `duplicate provider name '${provider.name}' (also providers[${first}])`,
        });
    });
  });

/** A validated config, defaults applied. */
export type SwitchboardConfig = z.output<typeof configSchema>;
/** One validated `providers[]` entry (its options depend on `type`). */
export type ProviderEntry = z.output<typeof providerEntrySchema>;
/** The validated `server` block. */
export type ServerConfig = z.output<typeof serverSchema>;
/** The validated `state` block. */
export type StateConfig = z.output<typeof stateSchema>;
/** The validated `router` block. */
export type RouterConfig = z.output<typeof routerSchema>;
/** A config as written in a file, before defaults. */
export type SwitchboardConfigInput = z.input<typeof configSchema>;
