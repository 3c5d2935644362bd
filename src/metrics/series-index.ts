import type { LabelValues } from './metric-definition.ts';

/** Most label names a `SeriesIndex` (so a `LabelledCounter` or `LabelledHistogram`) takes. */
export const MAX_LABEL_NAMES = 6;

/** Default most series of one metric; lookups beyond it land in the overflow series. */
export const DEFAULT_MAX_SERIES = 1000;

/** Longest label value kept; a longer one lands in the overflow series. */
export const MAX_LABEL_VALUE_LENGTH = 128;

/** Every label value of the overflow series: where values past the caps are counted. */
export const OVERFLOW_LABEL_VALUE = 'other';

/** Caps of a `SeriesIndex`: label values come from outside (model names), so both count and length are bounded. */
export interface SeriesIndexLimits {
  /** Most distinct series. Default `DEFAULT_MAX_SERIES`. */
  maxSeries?: number | undefined;
  /** Longest label value. Default `MAX_LABEL_VALUE_LENGTH`. */
  maxValueLength?: number | undefined;
}

type Node = Map<string, unknown>;

/** A metric's `labels(...)`: exactly one string per label name, in order, checked by TypeScript. */
export type SeriesLookup<LabelNames extends readonly string[], Series> = (
  ...labelValues: LabelValues<LabelNames>
) => Series;

/**
 * The series of one labelled metric, found by their label values through one nested `Map`
 * per label: looking a series up builds no key string, no label object and no array (the
 * values are positional parameters, not a rest array), so it allocates nothing once the
 * series exists. Series are created on first lookup by `create`, given the label values, up to
 * `maxSeries` of them and for values up to `maxValueLength` characters; any other lookup gets the
 * one overflow series (every label `other`), so a metric's size is bounded whatever values arrive.
 *
 * @example
 * ```ts
 * const index = new SeriesIndex(2, (values) => ({ values, count: 0 }));
 * index.find('primary', '200').count += 1;
 * ```
 */
export class SeriesIndex<Series> {
  readonly #labelCount: number;
  readonly #create: (labelValues: readonly string[]) => Series;
  readonly #root: Node = new Map();
  readonly #maxSeries: number;
  readonly #maxValueLength: number;
  #size = 0;
  #overflow: Series | undefined;

  constructor(labelCount: number, create: (labelValues: readonly string[]) => Series, limits: SeriesIndexLimits = {}) {
    if (!Number.isInteger(labelCount) || labelCount < 0 || labelCount > MAX_LABEL_NAMES) {
      throw new RangeError(`A labelled metric takes 0 to ${MAX_LABEL_NAMES} label names, not ${labelCount}`);
    }
    this.#labelCount = labelCount;
    this.#create = create;
    this.#maxSeries = limits.maxSeries ?? DEFAULT_MAX_SERIES;
    this.#maxValueLength = limits.maxValueLength ?? MAX_LABEL_VALUE_LENGTH;
  }

  /**
   * `find` typed by the metric's label names, for its `labels(...)`: TypeScript checks the
   * number of values at compile time, and no rest array is built at run time.
   */
  lookup<LabelNames extends readonly string[]>(): SeriesLookup<LabelNames, Series> {
    const find = (
      value0?: string,
      value1?: string,
      value2?: string,
      value3?: string,
      value4?: string,
      value5?: string,
    ): Series => this.find(value0, value1, value2, value3, value4, value5);
    // A rest signature over a generic tuple cannot be implemented by positional parameters in TypeScript's eyes.
    return find as unknown as SeriesLookup<LabelNames, Series>;
  }

  /** The series of these label values (exactly one per label name, in order), created on first use. */
  find(value0?: string, value1?: string, value2?: string, value3?: string, value4?: string, value5?: string): Series {
    const labelCount = this.#labelCount;
    if (!hasLabelCount(labelCount, value0, value1, value2, value3, value4, value5)) {
      throw new RangeError(
        `Expected ${labelCount} label values (strings), got ${[value0, value1, value2, value3, value4, value5].filter((value) => value !== undefined).length}`,
      );
    }
    // Lookup without creating anything: a value never seen must not leave an empty map behind.
    let node: Node | undefined = this.#root;
    if (labelCount > 1) node = node.get(value0 as string) as Node | undefined;
    if (labelCount > 2) node = node?.get(value1 as string) as Node | undefined;
    if (labelCount > 3) node = node?.get(value2 as string) as Node | undefined;
    if (labelCount > 4) node = node?.get(value3 as string) as Node | undefined;
    if (labelCount > 5) node = node?.get(value4 as string) as Node | undefined;
    const lastValue =
      labelCount === 0 ? '' : (valueAt(labelCount - 1, value0, value1, value2, value3, value4, value5) as string);
    const series = node?.get(lastValue) as Series | undefined;
    if (series !== undefined) return series;
    return this.#insert([value0, value1, value2, value3, value4, value5].slice(0, labelCount) as string[]);
  }

  /** Number of series created (the overflow series not included). */
  get size(): number {
    return this.#size;
  }

  /** Creates the series of `values`, or hands out the overflow series when a cap forbids it. */
  #insert(values: string[]): Series {
    if (this.#size >= this.#maxSeries || values.some((value) => value.length > this.#maxValueLength)) {
      this.#overflow ??= this.#create(values.map(() => OVERFLOW_LABEL_VALUE));
      return this.#overflow;
    }
    let node = this.#root;
    for (let index = 0; index < values.length - 1; index += 1) node = childNode(node, values[index] as string);
    const created = this.#create(values);
    node.set(values.length === 0 ? '' : (values[values.length - 1] as string), created);
    this.#size += 1;
    return created;
  }
}

/** The nested map under `value`, created on first use. */
function childNode(node: Node, value: string): Node {
  let child = node.get(value) as Node | undefined;
  if (child === undefined) {
    child = new Map();
    node.set(value, child);
  }
  return child;
}

function valueAt(
  index: number,
  value0?: string,
  value1?: string,
  value2?: string,
  value3?: string,
  value4?: string,
  value5?: string,
): string | undefined {
  switch (index) {
    case 0:
      return value0;
    case 1:
      return value1;
    case 2:
      return value2;
    case 3:
      return value3;
    case 4:
      return value4;
    default:
      return value5;
  }
}

/** True when the first `labelCount` values are strings and the others absent. */
function hasLabelCount(
  labelCount: number,
  value0?: string,
  value1?: string,
  value2?: string,
  value3?: string,
  value4?: string,
  value5?: string,
): boolean {
  return (
    isLabelValue(0, labelCount, value0) &&
    isLabelValue(1, labelCount, value1) &&
    isLabelValue(2, labelCount, value2) &&
    isLabelValue(3, labelCount, value3) &&
    isLabelValue(4, labelCount, value4) &&
    isLabelValue(5, labelCount, value5)
  );
}

function isLabelValue(index: number, labelCount: number, value: string | undefined): boolean {
  return index < labelCount ? typeof value === 'string' : value === undefined;
}
