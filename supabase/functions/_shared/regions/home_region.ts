/**
 * Choosing a venue's home region: the candidate Edge region with the best recent median round trip to the venue.
 * Pure: samples, policy, the current choice and `now` come in; a decision comes out. Hysteresis keeps the current
 * home unless a challenger beats its median by `marginPct` percent, so noise does not move bursts back and forth;
 * a region needs `minSamples` fresh successes to be eligible, so one lucky sample moves nothing, and a region that
 * stops answering (no fresh samples) loses its eligibility once its samples age past `maxAgeMs`.
 *
 * A choice is *settled* when every candidate that has fresh samples at all had enough of them. The margin protects
 * only a settled home: the calls of one round decide concurrently, so the first to decide may not yet see the other
 * regions' samples, and its provisional pick must not be locked in by the hysteresis.
 */

export interface RegionSample {
  region: string;
  success: boolean;
  /** Round trip in ms; null for a failed sample. */
  latencyMs: number | null;
  ts: Date;
}

export interface HomeRegionPolicy {
  /** Regions that may be chosen, in order of preference on ties. */
  candidates: readonly string[];
  minSamples: number;
  /** A challenger must be this many percent faster than the current home (0 = any improvement). */
  marginPct: number;
  /** Samples older than this are ignored. */
  maxAgeMs: number;
  /** A region set by hand in settings: chosen whatever the measurements say. */
  override: string | null;
}

export interface RegionStats {
  region: string;
  /** Fresh successful samples. */
  samples: number;
  medianMs: number | null;
  eligible: boolean;
}

export type DecisionSource = "measured" | "override";

export interface CurrentHome {
  region: string;
  /** Whether it was chosen with every sampled candidate eligible (then the margin protects it). */
  settled: boolean;
}

export interface HomeRegionDecision {
  /** null: no region is known well enough (and none was chosen before): bursts run wherever the platform puts them. */
  region: string | null;
  source: DecisionSource;
  medianMs: number | null;
  samples: number;
  /** Whether `region` differs from the current home. */
  changed: boolean;
  /** Every candidate with fresh samples had enough of them (see the header). */
  settled: boolean;
  /**
   * The other eligible candidates, lowest median first: where bursts go while `region` does not answer (the schedule
   * skips unanswering regions, see migration 20261202400000_region_fallback).
   */
  fallbacks: string[];
  reason: string;
  stats: RegionStats[];
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function freshAny(samples: readonly RegionSample[], region: string, oldest: number): boolean {
  return samples.some((s) => s.region === region && s.ts.getTime() >= oldest);
}

/** Per candidate: fresh successes, their median, and whether that is enough to be chosen. */
export function regionStats(
  samples: readonly RegionSample[],
  policy: HomeRegionPolicy,
  now: Date,
): RegionStats[] {
  const oldest = now.getTime() - policy.maxAgeMs;
  return policy.candidates.map((region) => {
    const fresh = samples.filter((s) =>
      s.region === region && s.success && s.latencyMs !== null && s.ts.getTime() >= oldest
    ).map((s) => s.latencyMs!);
    return {
      region,
      samples: fresh.length,
      medianMs: median(fresh),
      eligible: fresh.length >= policy.minSamples,
    };
  });
}

export function decideHomeRegion(
  samples: readonly RegionSample[],
  policy: HomeRegionPolicy,
  currentHome: CurrentHome | null,
  now: Date,
): HomeRegionDecision {
  const current = currentHome?.region ?? null;
  const stats = regionStats(samples, policy, now);
  const oldest = now.getTime() - policy.maxAgeMs;
  const settled = stats.every((s) => s.eligible || !freshAny(samples, s.region, oldest));
  const statsOf = (region: string | null) => stats.find((s) => s.region === region);
  // Lowest median first; ties go to the earlier candidate (stable sort over the candidate order).
  const eligible = stats.filter((s) => s.eligible).sort((a, b) => a.medianMs! - b.medianMs!);
  const decision = (region: string | null, source: DecisionSource, reason: string): HomeRegionDecision => ({
    region,
    source,
    medianMs: statsOf(region)?.medianMs ?? null,
    samples: statsOf(region)?.samples ?? 0,
    changed: region !== current,
    settled,
    fallbacks: eligible.map((s) => s.region).filter((r) => r !== region),
    reason,
    stats,
  });

  if (policy.override !== null) return decision(policy.override, "override", "set in settings");

  const best = eligible[0];
  const home = statsOf(current);
  if (!best) {
    return decision(
      current,
      "measured",
      current === null
        ? `no candidate has ${policy.minSamples} fresh samples yet`
        : `kept: no candidate has ${policy.minSamples} fresh samples`,
    );
  }
  if (!home?.eligible) {
    const why = current === null
      ? "first choice"
      : `${current} has ${home?.samples ?? 0} fresh samples (< ${policy.minSamples}${home ? "" : ", not a candidate"})`;
    return decision(best.region, "measured", `${why}: best median ${best.medianMs} ms`);
  }
  if (best.region === home.region) return decision(home.region, "measured", `best median ${home.medianMs} ms`);
  if (!currentHome?.settled) {
    return decision(
      best.region,
      "measured",
      `${current} was a provisional choice: best median ${best.medianMs} ms against ${home.medianMs} ms`,
    );
  }
  const needed = home.medianMs! * (1 - policy.marginPct / 100);
  if (best.medianMs! < needed) {
    return decision(
      best.region,
      "measured",
      `switched: ${best.region} ${best.medianMs} ms beats ${home.region} ${home.medianMs} ms by more than ` +
        `${policy.marginPct}%`,
    );
  }
  return decision(
    home.region,
    "measured",
    `kept by hysteresis: ${best.region} ${best.medianMs} ms is not ${policy.marginPct}% below ${home.medianMs} ms`,
  );
}
