import { ConfigurationError } from './errors.ts';

/** What one model costs at one provider, in US dollars per million tokens. */
export interface ModelPrice {
  /** Dollars per million prompt (input) tokens. */
  inputPerMTok: number;
  /** Dollars per million completion (output) tokens. */
  outputPerMTok: number;
}

/**
 * A provider's prices: one `ModelPrice` for every model it serves, or a map from public model
 * name to its price (`"*"` as the price of any model not listed).
 */
export type ProviderPricing = ModelPrice | Readonly<Record<string, ModelPrice>>;

/** Token counts of one answer, as upstream `usage` reports them. */
export interface UsageTokens {
  prompt_tokens?: number | undefined;
  completion_tokens?: number | undefined;
}

/**
 * How much input counts against output when providers are ranked by price: 3 input tokens per
 * output token, the usual blend for chat traffic (long prompts, shorter answers).
 */
const INPUT_TOKENS_PER_OUTPUT_TOKEN = 3;

/** A provider's pricing, checked once at registration and looked up per model without allocating. */
export class PricingTable {
  readonly #flat: ModelPrice | undefined;
  readonly #byModel: ReadonlyMap<string, ModelPrice>;

  /** @throws ConfigurationError for a negative or non-finite price. */
  constructor(pricing: ProviderPricing, provider: string) {
    if (isModelPrice(pricing)) {
      this.#flat = checkedPrice(pricing, provider, '');
      this.#byModel = new Map();
    } else {
      this.#flat = undefined;
      const byModel = new Map<string, ModelPrice>();
      for (const [model, price] of Object.entries(pricing)) {
        if (!isModelPrice(price))
          throw new ConfigurationError(
            `Provider '${provider}': pricing for '${model}' needs inputPerMTok and outputPerMTok`,
          );
        byModel.set(model, checkedPrice(price, provider, model));
      }
      this.#byModel = byModel;
    }
  }

  /** The price of `model` here; undefined when this provider did not price it. */
  priceOf(model: string): ModelPrice | undefined {
    return this.#flat ?? this.#byModel.get(model) ?? this.#byModel.get('*');
  }

  /** Blended dollars per million tokens of `model` (3 input : 1 output); +Infinity when unpriced. */
  blendedPrice(model: string): number {
    const price = this.priceOf(model);
    if (price === undefined) return Number.POSITIVE_INFINITY;
    return (
      (price.inputPerMTok * INPUT_TOKENS_PER_OUTPUT_TOKEN + price.outputPerMTok) / (INPUT_TOKENS_PER_OUTPUT_TOKEN + 1)
    );
  }

  /** Dollars `usage` cost for `model`; undefined when the model is unpriced or usage has no token counts. */
  costOf(model: string, usage: UsageTokens | null | undefined): number | undefined {
    if (usage === null || usage === undefined) return undefined;
    const price = this.priceOf(model);
    if (price === undefined) return undefined;
    const input = tokenCount(usage.prompt_tokens);
    const output = tokenCount(usage.completion_tokens);
    if (input === 0 && output === 0) return undefined;
    return (input * price.inputPerMTok + output * price.outputPerMTok) / 1_000_000;
  }
}

function tokenCount(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function isModelPrice(value: unknown): value is ModelPrice {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ModelPrice).inputPerMTok === 'number' &&
    typeof (value as ModelPrice).outputPerMTok === 'number'
  );
}

function checkedPrice(price: ModelPrice, provider: string, model: string): ModelPrice {
  for (const key of ['inputPerMTok', 'outputPerMTok'] as const) {
    const value = price[key];
    if (!Number.isFinite(value) || value < 0)
      throw new ConfigurationError(
        `Provider '${provider}': pricing${model === '' ? '' : ` for '${model}'`} ${key} must be a finite number ≥ 0`,
      );
  }
  return { inputPerMTok: price.inputPerMTok, outputPerMTok: price.outputPerMTok };
}
