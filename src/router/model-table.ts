import type { DeploymentRecord } from './deployment-record.ts';
import { MAX_WILDCARD_DEPLOYMENTS, type ProviderRecord } from './provider-record.ts';

const EMPTY: readonly DeploymentRecord[] = Object.freeze([]);

/**
 * The model table: public model name → the deployments serving it (each provider's listed
 * entry, plus the `'*'` providers' deployment for that name), in registration order. A lookup
 * is one `Map.get` whatever the number of providers; rebuilt on (rare) registration changes.
 * Names only `'*'` providers serve get their list on first use, cached (bounded).
 */
export class ModelTable {
  private byModel = new Map<string, readonly DeploymentRecord[]>();
  private wildcardProviders: readonly ProviderRecord[] = [];
  private readonly wildcardLists = new Map<string, readonly DeploymentRecord[]>();
  private publicNames: readonly string[] = [];

  /** Recomputes the table from the records, given in registration order. */
  rebuild(records: Iterable<ProviderRecord>, now: number): void {
    const providers = [...records];
    const wildcardProviders = providers.filter((record) => record.servesAnyModel);
    const names = new Set<string>();
    for (const record of providers) for (const name of record.deployments.keys()) names.add(name);
    const byModel = new Map<string, readonly DeploymentRecord[]>();
    for (const name of names) {
      const list: DeploymentRecord[] = [];
      for (const record of providers) {
        const deployment = record.servesAnyModel ? record.deploymentFor(name, now) : record.deployments.get(name);
        if (deployment !== undefined) list.push(deployment);
      }
      byModel.set(name, list);
    }
    this.byModel = byModel;
    this.wildcardProviders = wildcardProviders;
    this.wildcardLists.clear();
    this.publicNames = [...names].sort();
  }

  /** Deployments serving `model`, in registration order (empty when none). */
  deploymentsFor(model: string, now: number): readonly DeploymentRecord[] {
    const listed = this.byModel.get(model);
    if (listed !== undefined) return listed;
    if (this.wildcardProviders.length === 0 || model === '') return EMPTY;
    let list = this.wildcardLists.get(model);
    if (list === undefined) {
      if (this.wildcardLists.size >= MAX_WILDCARD_DEPLOYMENTS) this.wildcardLists.clear();
      list = this.wildcardProviders.map((record) => record.deploymentFor(model, now) as DeploymentRecord);
      this.wildcardLists.set(model, list);
    }
    return list;
  }

  /** True when some provider lists `model` by name or serves any model. */
  serves(model: string): boolean {
    return this.byModel.has(model) || (this.wildcardProviders.length > 0 && model !== '');
  }

  /** Every public model name some provider lists (aliases included, `'*'` excluded), sorted. */
  names(): readonly string[] {
    return this.publicNames;
  }
}
