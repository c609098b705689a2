/**
 * After a venue's samples are written: re-decide its home region from the fresh samples of every candidate region
 * (decideHomeRegion) and store the decision in `venue_home_regions`. Every regional call does this; they read the same
 * rows and the hysteresis keeps concurrent decisions in agreement.
 */
import { type Db, must, PAGE_ROWS, selectAllPages } from "../_shared/db.ts";
import type { Venue } from "../_shared/exchange/venues.ts";
import {
  type CurrentHome,
  decideHomeRegion,
  type HomeRegionDecision,
  type RegionSample,
} from "../_shared/regions/home_region.ts";
import { candidateRegions, type RegionSettings } from "../_shared/regions/region_settings.ts";

/** Upper bound on the rows one decision reads (candidates × a generous number of samples each). */
const MAX_ROWS = 5_000;

export async function freshRegionSamples(db: Db, venue: Venue, since: Date): Promise<RegionSample[]> {
  type Row = { region: string | null; latency_ms: number | string | null; success: boolean; ts: string };
  // Paged: PostgREST cuts an answer at max_rows (1000 on hosted projects), below MAX_ROWS (issue 14).
  const rows = await selectAllPages<Row>(
    `select latency_logs by region (${venue})`,
    (from, to) =>
      db.from("latency_logs").select("region, latency_ms, success, ts").eq("venue", venue)
        .not("region", "is", null).gte("ts", since.toISOString()).order("ts", { ascending: false })
        .order("id", { ascending: false }).range(from, to),
    PAGE_ROWS,
    MAX_ROWS,
  );
  return rows.map((row) => ({
    region: row.region!,
    success: row.success,
    latencyMs: row.latency_ms === null ? null : Number(row.latency_ms),
    ts: new Date(row.ts),
  }));
}

export async function updateHomeRegion(
  db: Db,
  venue: Venue,
  settings: RegionSettings,
  now: Date,
): Promise<HomeRegionDecision> {
  const maxAgeMs = settings.home_region_max_age_seconds * 1000;
  const [samples, current] = await Promise.all([
    freshRegionSamples(db, venue, new Date(now.getTime() - maxAgeMs)),
    db.from("venue_home_regions").select("region, settled").eq("venue", venue).maybeSingle(),
  ]);
  const currentHome = must(`select venue_home_regions (${venue})`, current) as CurrentHome | null;
  const decision = decideHomeRegion(
    samples,
    {
      candidates: candidateRegions(settings),
      minSamples: settings.home_region_min_samples,
      marginPct: settings.home_region_margin_pct,
      maxAgeMs,
      override: settings.home_region_overrides[venue] ?? null,
    },
    currentHome,
    now,
  );
  if (decision.region === null) return decision;
  const row = {
    venue,
    region: decision.region,
    source: decision.source,
    median_ms: decision.medianMs,
    samples: decision.samples,
    settled: decision.settled,
    fallback_regions: decision.fallbacks,
    reason: decision.reason,
    ...(decision.changed ? { chosen_at: now.toISOString() } : {}),
  };
  must(
    `upsert venue_home_regions (${venue})`,
    await db.from("venue_home_regions").upsert(row, { onConflict: "venue" }),
  );
  return decision;
}
