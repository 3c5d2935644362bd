import { AbortLatch } from '../contract/abort-latch.ts';
import type { DeploymentLease } from './deployment-lease.ts';
import type { FailureVerdict } from './failure-policy.ts';
import type { HedgePolicy } from './hedge-policy.ts';
import { runHedgedRace, type RaceEntrant } from './hedge-race.ts';
import type { RoutedCall } from './routed-call.ts';

/** Why a hedged attempt's own signal aborted when another attempt won. */
const LOST_RACE = new Error('Another attempt of the request answered first (hedging).');

/**
 * The first attempt of a call, hedged (undefined when an attempt served: the winner's result is
 * kept as the call's; else the verdict that decides what follows): while it has no result (a stream's first content, or a
 * whole answer) after the policy's delay, up to `max` more start on other providers of the same
 * model (each an upstream attempt counted against `maxAttempts` and the retry budget). The first
 * result wins; every other attempt is cancelled through its own signal (its upstream request
 * aborted, so the socket closes) and recorded as nobody's fault; a result arriving after the
 * winner's is discarded (a stream closed). When every attempt fails, the first attempt's verdict
 * decides what follows (a same-provider retry, the next provider…); the hedges' providers count
 * as tried.
 */
export async function runHedgedAttempt<Result>(
  call: RoutedCall<Result>,
  lease: DeploymentLease,
  tried: Set<string>,
  policy: HedgePolicy,
): Promise<FailureVerdict | undefined> {
  const delayMs = policy.delayMs(call.streaming);
  if (delayMs === undefined) return call.attemptCore(lease, 'first');
  const caller = call.options.signal;
  let firstVerdict: FailureVerdict | undefined;
  let lastVerdict: FailureVerdict | undefined;

  const entrant = (attemptLease: DeploymentLease, kind: 'first' | 'hedge'): RaceEntrant<Result> => {
    const latch = new AbortLatch();
    const onCallerAbort = () => latch.abort(caller?.reason);
    if (caller !== undefined) {
      if (caller.aborted) latch.abort(caller.reason);
      else caller.addEventListener('abort', onCallerAbort);
    }
    const slot: { served?: Result } = {};
    const promise = call.attemptCore(attemptLease, kind, latch, slot).then((verdict) => {
      // The winner keeps its link to the caller's signal for the rest of its stream.
      if (verdict === undefined) return slot.served as Result;
      caller?.removeEventListener('abort', onCallerAbort);
      if (kind === 'first') firstVerdict = verdict;
      lastVerdict = verdict;
      throw verdict;
    });
    return {
      promise,
      cancel: () => {
        caller?.removeEventListener('abort', onCallerAbort);
        latch.abort(LOST_RACE);
      },
    };
  };

  const hedge = (): RaceEntrant<Result> | undefined => {
    if (call.outOfAttempts() || caller?.aborted === true) return undefined;
    const other = call.host.tryLease(lease.model, tried, call.sessionKey);
    if (other === undefined) return undefined;
    if (!call.withinRetryBudget()) {
      other.release();
      return undefined;
    }
    tried.add(other.provider);
    call.noteReason('hedged');
    return entrant(other, 'hedge');
  };

  try {
    const served = await runHedgedRace({
      first: () => entrant(lease, 'first'),
      hedge,
      delayMs,
      max: policy.max,
      timers: call.host.timers,
      discard: discardResult,
    });
    call.keepResult(served);
    return undefined;
  } catch {
    return (firstVerdict ?? lastVerdict) as FailureVerdict;
  }
}

/** A result that came in after the winner's: a stream is closed (its upstream request ends); anything else was already recorded. */
function discardResult(result: unknown): void {
  const stream = (result as { stream?: AsyncIterable<unknown> } | null)?.stream;
  if (stream === undefined || stream === null || typeof stream[Symbol.asyncIterator] !== 'function') return;
  void stream[Symbol.asyncIterator]()
    .return?.()
    ?.catch(() => undefined);
}
