/** Symbol under which every Switchboard error carries the brands of its class chain. */
const BRAND = Symbol.for('switchboard.error.brands');

/** Error codes of the SDK's own errors; the union stays open for codes added later. */
export type SwitchboardErrorCode =
  'configuration' | 'model_not_found' | 'no_provider_available' | 'routing_failed' | (string & {});

/** Constructor options of `SwitchboardError`. */
export interface SwitchboardErrorOptions {
  cause?: unknown;
}

type SwitchboardErrorClass = abstract new (...parameters: never[]) => SwitchboardError;

/**
 * The root of every error the router, the config loader and the SDK throw. `code` is a stable
 * string to branch on; `isInstance` recognises errors made by another copy of the package
 * (where `instanceof` fails), through a `Symbol.for` brand.
 *
 * @example
 * ```ts
 * try { await router.chatCompletion(request) } catch (error) {
 *   if (ModelNotFoundError.isInstance(error)) console.error(error.code, error.model); // 'model_not_found'
 * }
 * ```
 */
export class SwitchboardError extends Error {
  /** The brand of this class; subclasses set their own, usually their name. */
  static readonly brand: string = 'SwitchboardError';
  override name = 'SwitchboardError';
  /** What went wrong, as a stable string (`configuration`, `model_not_found`, …). */
  readonly code: SwitchboardErrorCode;

  constructor(code: SwitchboardErrorCode, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    Object.defineProperty(this, BRAND, { value: brandsOf(new.target), enumerable: false });
  }

  /**
   * True when `value` is an instance of this class, also when it was made by a duplicate copy
   * of the package (two versions in `node_modules`, a bundled and an unbundled copy).
   */
  static isInstance<Class extends SwitchboardErrorClass>(this: Class, value: unknown): value is InstanceType<Class> {
    if (value instanceof this) return true;
    if (value === null || typeof value !== 'object') return false;
    const brands = (value as { [BRAND]?: unknown })[BRAND];
    if (!Array.isArray(brands)) return false;
    const own = Object.hasOwn(this, 'brand') ? (this as unknown as { brand: string }).brand : undefined;
    return own !== undefined && brands.includes(own);
  }
}

/** The brands of a class and its ancestors up to `SwitchboardError`, most derived first. */
function brandsOf(constructor: unknown): readonly string[] {
  const brands: string[] = [];
  for (let current = constructor; typeof current === 'function'; current = Object.getPrototypeOf(current)) {
    if (Object.hasOwn(current, 'brand')) brands.push((current as unknown as { brand: string }).brand);
    if (current === SwitchboardError) break;
  }
  return Object.freeze(brands);
}
