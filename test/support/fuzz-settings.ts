/**
 * Shared settings of the property-based fuzz tests: a fixed seed (so CI replays the same cases),
 * a bounded number of runs and a time budget per property. `FUZZ_SEED`, `FUZZ_RUNS` and
 * `FUZZ_SECONDS` override them to explore further; fast-check's failure message carries the seed
 * and the path that replay a counterexample.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Parameters as FastCheckParameters } from 'fast-check';

/** Where the last counterexample is written in full (git-ignored). */
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

/** The seed every fuzz property runs with unless `FUZZ_SEED` says otherwise. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);

/** Seconds each property may run before fast-check stops generating new cases (not a failure). */
export const FUZZ_SECONDS = Number(process.env.FUZZ_SECONDS ?? 10);

/**
 * fast-check parameters for one property: the fixed seed, at most `numRuns` cases (or `FUZZ_RUNS`),
 * and the time budget; on failure the seed is printed with the counterexample.
 *
 * @example
 * ```ts
 * await fc.assert(fc.asyncProperty(fc.jsonValue(), check), fuzzParameters(200));
 * ```
 */
export function fuzzParameters<Value>(numRuns: number): FastCheckParameters<Value> {
  return {
    seed: FUZZ_SEED,
    numRuns: Number(process.env.FUZZ_RUNS ?? numRuns),
    interruptAfterTimeLimit: FUZZ_SECONDS * 1_000,
    markInterruptAsFailure: false,
    endOnFailure: false,
    verbose: 1,
    reporter: (details) => {
      if (!details.failed) return;
      // The default reporter's message, prefixed so the seed is easy to find in a CI log.
      throw new Error(
        `fuzz property failed with seed ${details.seed} (replay: FUZZ_SEED=${details.seed})\n${fastCheckSummary(details)}`,
      );
    },
  };
}

/** The counterexample, the path and the error of a failed run, as fast-check reports them. */
function fastCheckSummary(details: {
  counterexample: unknown;
  counterexamplePath: string | null;
  errorInstance: unknown;
  numRuns: number;
}): string {
  let counterexample: string;
  try {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'fuzz-counterexample.json'), JSON.stringify(details.counterexample));
    counterexample = JSON.stringify(details.counterexample, (_key, value: unknown) =>
      typeof value === 'string' && value.length > 300 ? `${value.slice(0, 300)}… (${value.length} characters)` : value,
    );
  } catch {
    counterexample = '(too deep to print; replay it with the seed and path)';
  }
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return `after ${details.numRuns} runs, path ${details.counterexamplePath}\ncounterexample (in full in test/artifacts/fuzz-counterexample.json): ${counterexample?.slice(0, 2_000)}\nerror: ${error}`;
}
