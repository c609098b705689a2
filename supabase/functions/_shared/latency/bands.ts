/**
 * Latency bands: a venue's recent round-trip times pick how boldly the bot trades there (min spread, size, throttle).
 * Pure: samples and settings come in as arguments.
 */
import type { LatencyBand, Settings } from "../settings.ts";

/** One `latency_logs` row as far as the band is concerned. `latency_ms` is null when the sample failed. */
export interface LatencySample {
  latency_ms: number | null;
  success: boolean;
}

export type BandReason = "average" | "failure_ratio" | "no_successful_samples";

export interface LatencySummary {
  /** Mean of the last `latency_window` successful samples; null when there are none. */
  avgMs: number | null;
  /** The newest sample's latency; null when the newest sample failed (or there are no samples). */
  lastMs: number | null;
  /** Largest of the successful samples that went into `avgMs`; null when there are none. */
  maxMs: number | null;
  /** Failed / all among the newest `latency_window` samples; 0 when there are no samples. */
  failureRatio: number;
  /** How many of the newest `latency_window` samples were looked at, and how many went into `avgMs`. */
  recentCount: number;
  successCount: number;
  band: LatencyBand;
  /** Why this band: picked by the average, forced defensive by failures, or forced defensive for lack of data. */
  reason: BandReason;
}

/** Legacy `pick_band`: the first band whose max_ms >= avg (null = no limit), else the last band. */
export function pickBand(avgMs: number, bands: readonly LatencyBand[]): LatencyBand {
  const last = bands.at(-1);
  if (last === undefined) throw new RangeError("pickBand needs at least one latency band");
  if (Number.isNaN(avgMs)) return last;
  return bands.find((band) => band.max_ms === null || avgMs <= band.max_ms) ?? last;
}

/** The band named `defensive`, or the last (slowest) band when no band carries that name. */
export function defensiveBand(bands: readonly LatencyBand[]): LatencyBand {
  const last = bands.at(-1);
  if (last === undefined) throw new RangeError("defensiveBand needs at least one latency band");
  return bands.find((band) => band.name === "defensive") ?? last;
}

function isUsable(sample: LatencySample): sample is { latency_ms: number; success: true } {
  // A "successful" sample without a finite latency is not evidence of speed: count it as failed.
  return sample.success && typeof sample.latency_ms === "number" && Number.isFinite(sample.latency_ms) &&
    sample.latency_ms >= 0;
}

/**
 * Summarizes a venue's samples, ordered oldest first (the last element is the newest).
 * A venue whose newest samples mostly fail (failure ratio >= latency_failure_ratio_defensive), or that has no
 * successful sample at all, is `defensive` whatever its average says: a fast average over the few requests that got
 * through would otherwise make the bot bolder exactly when the venue is in trouble.
 */
export function summarizeLatency(
  samples: readonly LatencySample[],
  settings: Pick<Settings, "latency_bands" | "latency_window" | "latency_failure_ratio_defensive">,
): LatencySummary {
  const window = settings.latency_window;
  const recent = samples.slice(-window);
  const failed = recent.filter((s) => !isUsable(s)).length;
  const failureRatio = recent.length === 0 ? 0 : failed / recent.length;

  const successful = samples.filter(isUsable).slice(-window).map((s) => s.latency_ms);
  const newest = samples.at(-1);
  const lastMs = newest && isUsable(newest) ? newest.latency_ms : null;

  if (successful.length === 0) {
    return {
      avgMs: null,
      lastMs,
      maxMs: null,
      failureRatio,
      recentCount: recent.length,
      successCount: 0,
      band: defensiveBand(settings.latency_bands),
      reason: "no_successful_samples",
    };
  }
  const avgMs = successful.reduce((a, b) => a + b, 0) / successful.length;
  const maxMs = successful.reduce((a, b) => Math.max(a, b), -Infinity);
  const tooManyFailures = failureRatio >= settings.latency_failure_ratio_defensive;
  return {
    avgMs,
    lastMs,
    maxMs,
    failureRatio,
    recentCount: recent.length,
    successCount: successful.length,
    band: tooManyFailures ? defensiveBand(settings.latency_bands) : pickBand(avgMs, settings.latency_bands),
    reason: tooManyFailures ? "failure_ratio" : "average",
  };
}
