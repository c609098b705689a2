/**
 * The bench's arithmetic: medians, percentiles and ratios over a handful of samples. Pure, so it is unit-tested.
 */

export class EmptySampleError extends Error {
  override name = "EmptySampleError";
  constructor(readonly what: string) {
    super(`${what}: no samples`);
  }
}

function sortedFinite(values: readonly number[], what: string): number[] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) throw new EmptySampleError(what);
  return [...finite].sort((a, b) => a - b);
}

/** Median of the finite values (the mean of the middle two for an even count). Throws EmptySampleError when none. */
export function median(values: readonly number[], what = "median"): number {
  const sorted = sortedFinite(values, what);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Nearest-rank percentile (p in (0, 100]): the smallest value with at least p % of the samples at or below it. With
 * few samples p99 is simply the maximum, which is what a reader of a small table should see.
 */
export function percentile(values: readonly number[], p: number, what = `p${p}`): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile: p must be in (0, 100], got ${p}`);
  const sorted = sortedFinite(values, what);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)];
}

/** `value / baseline`, or null when the baseline is not a positive number (a ratio would mean nothing). */
export function ratio(value: number, baseline: number): number | null {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline <= 0) return null;
  return value / baseline;
}

/** `numerator / denominator`, or null when the denominator is zero (no ticks, no seconds). */
export function perUnit(numerator: number, denominator: number): number | null {
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator <= 0) return null;
  return numerator / denominator;
}

export interface Summary {
  count: number;
  median: number;
  min: number;
  max: number;
}

/** Count, median, min and max of the finite values; null when there are none. */
export function summarize(values: readonly number[]): Summary | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  return { count: finite.length, median: median(finite), min: Math.min(...finite), max: Math.max(...finite) };
}

/** Median of the values that are numbers; null when none is (a figure some runs could not produce). */
export function medianOrNull(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  return present.length === 0 ? null : median(present);
}
