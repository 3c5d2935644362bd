import type { ProviderRecord } from './provider-record.ts';

const EMPTY: readonly ProviderRecord[] = Object.freeze([]);

/**
 * Providers by model, so selection touches only the providers that serve the requested
 * model: a lookup is one `Map.get`, whatever the number of registered providers. Each list
 * holds the exact-match providers merged with the `'*'` ones, in registration order.
 * Rebuilt on (rare) registration changes; lookups allocate nothing.
 */
export class ModelIndex {
  private byModel = new Map<string, readonly ProviderRecord[]>();
  private wildcard: readonly ProviderRecord[] = EMPTY;

  /** Recomputes the index from the records, given in registration order. */
  rebuild(records: Iterable<ProviderRecord>): void {
    const byModel = new Map<string, ProviderRecord[]>();
    const wildcard: ProviderRecord[] = [];
    for (const record of records) {
      for (const model of new Set(record.adapter.models)) {
        if (model === '*') wildcard.push(record);
        else if (model !== '') getOrCreate(byModel, model).push(record);
      }
    }
    for (const [model, exact] of byModel) {
      if (wildcard.length > 0) byModel.set(model, mergeByOrder(exact, wildcard));
    }
    this.byModel = byModel;
    this.wildcard = wildcard;
  }

  /** Providers serving `model`, in registration order (empty when none). */
  providersFor(model: string): readonly ProviderRecord[] {
    return this.byModel.get(model) ?? this.wildcard;
  }
}

function getOrCreate(map: Map<string, ProviderRecord[]>, key: string): ProviderRecord[] {
  let list = map.get(key);
  if (list === undefined) {
    list = [];
    map.set(key, list);
  }
  return list;
}

function mergeByOrder(left: ProviderRecord[], right: readonly ProviderRecord[]): ProviderRecord[] {
  const merged: ProviderRecord[] = [];
  let leftIndex = 0;
  let rightIndex = 0;
  while (leftIndex < left.length || rightIndex < right.length) {
    const leftRecord = left[leftIndex];
    const rightRecord = right[rightIndex];
    if (rightRecord === undefined || (leftRecord !== undefined && leftRecord.order < rightRecord.order)) {
      merged.push(leftRecord as ProviderRecord);
      leftIndex += 1;
    } else {
      merged.push(rightRecord);
      if (rightRecord === leftRecord) leftIndex += 1;
      rightIndex += 1;
    }
  }
  return merged;
}
