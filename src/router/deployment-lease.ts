import type { ProviderAdapter } from '../contract/provider-adapter.ts';
import type { DeploymentRecord } from './deployment-record.ts';
import type { ResultInput } from './types.ts';

/** What a lease calls back into: the router's bookkeeping. */
export interface LeaseHost {
  /** Applies `result` to the deployment and its provider, freeing the probe slots the lease holds. */
  recordLeased(deployment: DeploymentRecord, result: LeaseResult, slots: number): void;
  /** Frees the probe slots the lease holds, recording nothing. */
  releaseLeased(deployment: DeploymentRecord, slots: number): void;
}

/** What a lease records: `ResultInput` without the model (the lease knows it). */
export type LeaseResult = Omit<ResultInput, 'model'>;

/** Bit of `slots`: the lease holds a half-open probe slot of the provider-wide circuit. */
export const PROVIDER_SLOT = 1;
/** Bit of `slots`: the lease holds a half-open probe slot of the deployment's circuit. */
export const DEPLOYMENT_SLOT = 2;

/**
 * One selected deployment (a provider × public model) for one call, tying the selection to its
 * result. A half-open circuit admits only `halfOpenMaxProbes` calls at a time; the lease holds
 * those probe slots until `record(result)` (the call was made) or `release()` (it was not), so
 * a selection never takes a probe slot for a call that is never made. Either is final: later
 * calls are no-ops. Get one from `router.lease(model)`.
 *
 * @example
 * ```ts
 * const lease = router.lease('smart');
 * try {
 *   const completion = await lease.adapter.chat({ ...request, model: lease.upstreamModel });
 *   lease.record({ success: true, latencyMs: 120 });
 * } catch (error) {
 *   lease.record({ success: false });
 * }
 * ```
 */
export class DeploymentLease {
  /** The provider's adapter. */
  readonly adapter: ProviderAdapter;
  /** The provider's name. */
  readonly provider: string;
  /** The public model selected for. */
  readonly model: string;
  /** The model name to send upstream (the alias's upstream name, or the public name). */
  readonly upstreamModel: string;
  /** @internal the selected deployment. */
  readonly deployment: DeploymentRecord;
  readonly #host: LeaseHost;
  #slots: number;
  #settled = false;

  /** @internal made by the router's selection. */
  constructor(host: LeaseHost, deployment: DeploymentRecord, model: string, slots: number) {
    this.#host = host;
    this.deployment = deployment;
    this.adapter = deployment.provider.adapter;
    this.provider = deployment.provider.name;
    this.model = model;
    this.upstreamModel = deployment.upstream === '*' ? model : deployment.upstream;
    this.#slots = slots;
  }

  /** True until `record` or `release` was called. */
  get isOpen(): boolean {
    return !this.#settled;
  }

  /** True when the lease holds a half-open probe slot (the call is a probe of a recovering circuit). */
  get isProbe(): boolean {
    return this.#slots !== 0;
  }

  /** Records the call's outcome against the deployment and its provider, and frees the probe slots. */
  record(result: LeaseResult): void {
    if (this.#settled) return;
    this.#settled = true;
    const slots = this.#slots;
    this.#slots = 0;
    this.#host.recordLeased(this.deployment, result, slots);
  }

  /** Frees the probe slots without recording anything (the call was not made, or was abandoned). */
  release(): void {
    if (this.#settled) return;
    this.#settled = true;
    const slots = this.#slots;
    this.#slots = 0;
    if (slots !== 0) this.#host.releaseLeased(this.deployment, slots);
  }
}
