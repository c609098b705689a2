/**
 * `latency-sample`: per venue, N timed server-time calls, each written to `latency_logs` (failures as failures), then
 * the venue's rolling picture (last/avg/max over the newest `latency_window` samples, and its band) written to its
 * `exchange_connections` row via summarizeLatency.
 */
import { z } from "zod";
import { type Db, loadSettings, must, PAGE_ROWS, selectAllPages } from "../_shared/db.ts";
import { acceptServerCall } from "../_shared/accept_call.ts";
import type { VenueFunctionDeps } from "../_shared/deps.ts";
import { json, jsonHandler } from "../_shared/http.ts";
import { answerRunFailure, type RunOutcome, startRun } from "../_shared/run_log.ts";
import type { Settings } from "../_shared/settings.ts";
import { type BandReason, type LatencySample, summarizeLatency } from "../_shared/latency/bands.ts";
import { takeLatencySamples } from "./sample.ts";
import { type Venue, VENUES } from "../_shared/exchange/venues.ts";
import { loadRegionSettings, type RegionSettings } from "../_shared/regions/region_settings.ts";
import { updateHomeRegion } from "./home_region_update.ts";

export const FUNCTION_NAME = "latency-sample";

/** Whole-call budget for the waits between samples, well inside the Edge wall clock. */
export const MAX_SPACING_BUDGET_MS = 60_000;

export const latencySampleBodySchema = z.object({
  venues: z.array(z.enum(VENUES)).min(1).max(VENUES.length).optional(),
  samples: z.number().int().min(1).max(20).optional(),
  spacing_ms: z.number().int().min(0).max(2000).optional(),
}).strict();
export type LatencySampleBody = z.infer<typeof latencySampleBodySchema>;

export interface VenueLatencyResult {
  venue: Venue;
  /** Where this call ran (SB_REGION); null when the platform does not say. */
  region: string | null;
  /** Where the venue's bursts run after this call (override or measured), null when unknown. */
  home_region: string | null;
  home_region_reason: string;
  /** The region whose samples the rolling picture and band below come from; null: all samples (no regions known). */
  band_region: string | null;
  samples: number;
  successes: number;
  failures: number;
  /** This call's latencies in order; null for a failed sample. */
  latencies_ms: (number | null)[];
  /** Distinct error texts of this call's failed samples. */
  errors: string[];
  /** The rolling picture written to exchange_connections. */
  last_ms: number | null;
  avg_ms: number | null;
  max_ms: number | null;
  failure_ratio: number;
  band: string;
  band_reason: BandReason;
}

/**
 * The newest `window` samples plus the newest `window` successful ones (what summarizeLatency needs), oldest first;
 * only those taken in `region` when one is given (the band must describe where the bursts run).
 */
async function recentSamples(db: Db, venue: Venue, window: number, region: string | null): Promise<LatencySample[]> {
  type Row = { id: number; latency_ms: number | string | null; success: boolean; ts: string };
  const columns = "id, latency_ms, success, ts";
  const ofVenue = () => {
    const query = db.from("latency_logs").select(columns).eq("venue", venue);
    return region === null ? query : query.eq("region", region);
  };
  // Paged: latency_window may exceed PostgREST's row cap (max_rows, 1000 on hosted projects).
  const newest = await selectAllPages<Row>(
    `select latency_logs (${venue})`,
    (from, to) => ofVenue().order("ts", { ascending: false }).order("id", { ascending: false }).range(from, to),
    PAGE_ROWS,
    window,
  );
  const newestGood = await selectAllPages<Row>(
    `select successful latency_logs (${venue})`,
    (from, to) =>
      ofVenue().eq("success", true).order("ts", { ascending: false }).order("id", { ascending: false }).range(from, to),
    PAGE_ROWS,
    window,
  );
  const byId = new Map<number, Row>();
  for (const row of [...newest, ...newestGood]) byId.set(row.id, row);
  return [...byId.values()]
    .sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts) || a.id - b.id)
    .map((row) => ({ success: row.success, latency_ms: row.latency_ms === null ? null : Number(row.latency_ms) }));
}

async function sampleVenue(
  deps: VenueFunctionDeps,
  venue: Venue,
  settings: Settings,
  regionSettings: RegionSettings,
  plan: { samples: number; spacingMs: number },
): Promise<VenueLatencyResult> {
  const region = deps.env.region ?? null;
  const { client } = deps.venues(venue, settings.mode);
  const probe = async () => (await client.measureServerTimeRoundTrip()).roundTripMs;
  const taken = await takeLatencySamples(probe, {
    ...plan,
    clock: deps.clock,
  });
  must(
    `insert latency_logs (${venue})`,
    await deps.db.from("latency_logs").insert(taken.map((s) => ({
      venue,
      region,
      latency_ms: s.latency_ms,
      success: s.success,
      error: s.error,
      ts: s.ts.toISOString(),
    }))),
  );

  // Without a region from the platform there is nothing to choose between: today's behaviour, one picture for all.
  const home = region === null ? null : await updateHomeRegion(deps.db, venue, regionSettings, deps.clock.now());
  const bandRegion = home?.region ?? null;
  const summary = summarizeLatency(
    await recentSamples(deps.db, venue, settings.latency_window, bandRegion),
    settings,
  );
  const updated = must(
    `update exchange_connections latency (${venue})`,
    await deps.db.from("exchange_connections").update({
      latency_last_ms: summary.lastMs,
      latency_avg_ms: summary.avgMs === null ? null : Math.round(summary.avgMs * 10) / 10,
      latency_max_ms: summary.maxMs,
      latency_band: summary.band.name,
      latency_updated_at: deps.clock.now().toISOString(),
    }).eq("exchange_name", venue).select("exchange_name"),
  ) as unknown[];
  if (updated.length !== 1) throw new Error(`update exchange_connections latency (${venue}): ${updated.length} rows`);

  const successes = taken.filter((s) => s.success).length;
  return {
    venue,
    region,
    home_region: bandRegion,
    home_region_reason: home?.reason ?? "the platform reports no region",
    band_region: bandRegion,
    samples: taken.length,
    successes,
    failures: taken.length - successes,
    latencies_ms: taken.map((s) => s.latency_ms),
    errors: [...new Set(taken.flatMap((s) => (s.error ? [s.error] : [])))],
    last_ms: summary.lastMs,
    avg_ms: summary.avgMs,
    max_ms: summary.maxMs,
    failure_ratio: summary.failureRatio,
    band: summary.band.name,
    band_reason: summary.reason,
  };
}

/** Samples and spacing: the body wins, else settings; spacing shrinks if the waits would exceed the budget. */
export function samplingPlan(body: LatencySampleBody, settings: Settings): { samples: number; spacingMs: number } {
  const samples = body.samples ?? settings.latency_samples_per_call;
  const wanted = body.spacing_ms ?? settings.latency_sample_spacing_ms;
  const spacingMs = samples > 1 ? Math.min(wanted, Math.floor(MAX_SPACING_BUDGET_MS / (samples - 1))) : 0;
  return { samples, spacingMs };
}

function outcomeOf(results: readonly VenueLatencyResult[]): RunOutcome {
  if (results.length === 0) return "skipped";
  const samples = results.reduce((n, r) => n + r.samples, 0);
  const successes = results.reduce((n, r) => n + r.successes, 0);
  return successes === samples ? "ok" : successes === 0 ? "error" : "partial";
}

export function createLatencySampleHandler(getDeps: () => VenueFunctionDeps): (req: Request) => Promise<Response> {
  return jsonHandler(async (req) => {
    const { deps, body } = await acceptServerCall(req, getDeps, latencySampleBodySchema);

    const run = await startRun(deps.db, FUNCTION_NAME, { clock: deps.clock });
    try {
      const [settings, regionSettings] = await Promise.all([loadSettings(deps.db), loadRegionSettings(deps.db)]);
      const plan = samplingPlan(body, settings);
      const rows = must(
        "select exchange_connections",
        await deps.db.from("exchange_connections").select("exchange_name").eq("is_active", true),
      ) as { exchange_name: string }[];
      const active = new Set(rows.map((r) => r.exchange_name));
      const wanted = body.venues ?? VENUES;
      const sample = VENUES.filter((v) => wanted.includes(v) && active.has(v));
      const skipped = VENUES.filter((v) => wanted.includes(v) && !active.has(v))
        .map((venue) => ({ venue, reason: "not an active exchange connection" }));

      // Venues in parallel: each has its own client and row, and the call stays short.
      const venues = await Promise.all(sample.map((venue) => sampleVenue(deps, venue, settings, regionSettings, plan)));
      const outcome = outcomeOf(venues);
      const summary = {
        mode: settings.mode,
        region: deps.env.region ?? null,
        samples: plan.samples,
        spacing_ms: plan.spacingMs,
        venues,
        skipped,
      };
      const failures = venues.filter((v) => v.failures > 0).map((v) => `${v.venue}: ${v.failures} failed sample(s)`);
      const { durationMs } = await run.finish(outcome, summary, failures.length ? failures.join("; ") : null);
      return json(200, { function: FUNCTION_NAME, run_id: run.id, outcome, ...summary, duration_ms: durationMs });
    } catch (error) {
      return await answerRunFailure(run, FUNCTION_NAME, error);
    }
  });
}
