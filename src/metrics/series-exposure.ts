/**
 * The series a labelled metric currently exposes, in the order they were first observed, and
 * a generation that `reset()` advances: a series whose generation is behind has been reset,
 * reads as zero, and joins the list again on its next observation. Series handles therefore
 * stay valid across resets, so callers may keep them.
 *
 * @example
 * ```ts
 * const exposure = new SeriesExposure<CounterSeries>();
 * exposure.reset(); // every series of the metric reads 0 and leaves the exposition
 * ```
 */
export class SeriesExposure<Series> {
  /** Exposed series, first observed first. */
  readonly series: Series[] = [];
  /** Advanced by every `reset()`. */
  generation = 0;

  /** Empties the exposition; every series restarts from zero on its next observation. */
  reset(): void {
    this.generation += 1;
    this.series.length = 0;
  }
}
