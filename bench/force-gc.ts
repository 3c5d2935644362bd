import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * The garbage collector as a function, for memory measurements: `globalThis.gc` under
 * `--expose-gc`, else one obtained by turning the flag on at run time; null if neither works.
 *
 * @example
 * ```ts
 * const gc = forceGc();
 * gc?.();
 * const before = process.memoryUsage().heapUsed;
 * ```
 */
export function forceGc(): (() => void) | null {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}
