/**
 * Polls `condition` every `intervalMs` until it returns true (or a promise of true); throws with
 * `description` after `timeoutMs`. For what real time is inherent to (pub/sub propagation,
 * reconnection), never for logic a fake clock can drive.
 *
 * @example
 * ```ts
 * await waitFor(() => state.isUp(), 2_000, 'redis connected');
 * ```
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  description: string,
  intervalMs = 10,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${description}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
