/**
 * Issue 18's benchmark: data → order (the venue's ticker answer leaving the venue → the entry order arriving at the
 * venue) for a binance burst placed two ways in the same run, with the latency model's delay proxies:
 *   - home region (Tokyo): venue 1 ms one way, database 73 ms one way (Tokyo ↔ N. Virginia, half of 145.3 ms);
 *   - database region (N. Virginia): venue 73 ms one way, database 1 ms.
 * Figures from the AWS inter-region table cited in dev/stack/regions.ts. The simulator's request log and the DB
 * proxy's log are timed at the venue and database ends, so the delays are inside what is measured.
 */
import postgres from "postgres";
import { startSimulator } from "../sim/server.ts";
import { startStack } from "../stack/stack.ts";
import { startDelayProxy } from "../stack/delay_proxy.ts";
import { type BurstRun, measureBurstConfig, type SqlRunner } from "./burst_bench.ts";
import { startDbProxy } from "./db_proxy.ts";
import { benchSimConfig } from "./scenario.ts";
import { median, percentile } from "./stats.ts";

export interface Placement {
  name: string;
  region: string;
  venueOneWayMs: number;
  databaseOneWayMs: number;
}

export const PLACEMENTS: readonly Placement[] = [
  { name: "home region (Tokyo)", region: "ap-northeast-1", venueOneWayMs: 1, databaseOneWayMs: 73 },
  { name: "database region (N. Virginia)", region: "us-east-1", venueOneWayMs: 73, databaseOneWayMs: 1 },
];

export interface PlacementResult {
  placement: Placement;
  runs: BurstRun[];
  error?: string;
}

export interface RegionBenchOptions {
  runs: number;
  durationMs: number;
  tickMs: number;
  stepMs: number;
  symbols: number;
}

const portOf = (url: string) => Number(new URL(url).port);

export async function runRegionBench(options: RegionBenchOptions, log: (line: string) => void) {
  const sim = await startSimulator({ seed: 18, config: benchSimConfig(options.stepMs) });
  const stack = await startStack({ functions: false });
  const proxy = startDbProxy(stack.gatewayUrl);
  const sqlClient = postgres(stack.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  const logDir = await Deno.makeTempDir({ dir: stack.logDir, prefix: "bench-regions-" });
  const results: PlacementResult[] = [];
  try {
    const serviceRoleKey = stack.serviceRoleKey;
    if (!serviceRoleKey) throw new Error("bench: the stack has no legacy service role key");
    for (const placement of PLACEMENTS) {
      const venue = startDelayProxy(portOf(sim.origin), placement.venueOneWayMs);
      const database = startDelayProxy(portOf(proxy.url), placement.databaseOneWayMs);
      try {
        const env: Record<string, string> = {
          ...stack.functionEnv,
          SB_REGION: placement.region,
          SUPABASE_URL: database.origin,
          BINANCE_API_KEY: sim.binance.apiKey,
          BINANCE_API_SECRET: sim.binance.secret,
          BINANCE_BASE_URL: `${venue.origin}/binance`,
          OKX_API_KEY: sim.okx.apiKey,
          OKX_API_SECRET: sim.okx.secret,
          OKX_PASSPHRASE: sim.okx.passphrase,
          OKX_BASE_URL: `${venue.origin}/okx`,
          EXCHANGE_TIMEOUT_MS: "5000",
        };
        const runs = await measureBurstConfig({
          sim,
          proxy,
          sql: sqlClient as unknown as SqlRunner,
          env,
          serviceRoleKey,
          logDir,
          stepMs: options.stepMs,
          log,
        }, {
          venues: ["binance"],
          symbols: options.symbols,
          tickMs: options.tickMs,
          durationMs: options.durationMs,
          runs: options.runs,
          warmupMs: 5_000,
        });
        results.push({ placement, runs });
      } catch (error) {
        results.push({ placement, runs: [], error: error instanceof Error ? error.message : String(error) });
      } finally {
        await venue.stop();
        await database.stop();
      }
    }
  } finally {
    await sqlClient.end();
    await proxy.stop();
    await stack.stop();
    await sim.stop();
  }
  return results;
}

const f1 = (ms: number) => ms.toFixed(1);

/** The markdown section for docs/BENCHMARKS.md. */
export function renderRegionSection(results: readonly PlacementResult[], options: RegionBenchOptions): string {
  const lines = [
    "## Issue 18: burst placement (home region vs database region)",
    "",
    `Same run, binance, ${options.symbols} symbols, tick ${options.tickMs} ms, ${options.runs} × ${
      options.durationMs / 1000
    } s bursts per placement. One-way delays from the latency model (dev/stack/regions.ts: half the AWS inter-region ` +
    "round trips; Tokyo ↔ N. Virginia 145.3 ms). data → order = ticker answer leaving the venue → entry order " +
    "arriving at the venue.",
    "",
    "| placement | venue one way | database one way | entries | data → order median | p90 | of which track-before-send insert (median) | DB round trips on the path (median) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const latencies = r.runs.flatMap((run) => run.latencies);
    if (r.error || latencies.length === 0) {
      lines.push(
        `| ${r.placement.name} | ${r.placement.venueOneWayMs} ms | ${r.placement.databaseOneWayMs} ms | ${latencies.length} | ${
          r.error ? `failed: ${r.error.slice(0, 120)}` : "no entry paired with its order"
        } | | | |`,
      );
      continue;
    }
    const ms = latencies.map((l) => l.latencyMs);
    lines.push(
      `| ${r.placement.name} | ${r.placement.venueOneWayMs} ms | ${r.placement.databaseOneWayMs} ms | ${latencies.length} | ${
        f1(median(ms))
      } ms | ${f1(percentile(ms, 90))} ms | ${f1(median(latencies.map((l) => l.insertMs)))} ms | ${
        median(latencies.map((l) => l.dbRequestsOnPath))
      } |`,
    );
  }
  const home = results[0]?.runs.flatMap((run) => run.latencies) ?? [];
  const onPath = home.length > 0 ? median(home.map((l) => l.dbRequestsOnPath)) : 0;
  if (onPath >= 1) {
    lines.push(
      "",
      `Reading: between the data and the order the burst still makes ${onPath} database round trips (median; the ` +
        "track-before-send insert and the per-tick reads), and far from the database each costs twice its distance. " +
        "So today a burst next to the venue is slower from data to order than the same burst next to the database. " +
        "The armed order rows of issue 13 (branch i13-limits) take the insert off the path; the per-tick reads must " +
        "leave it too before the home region can approach the venue round trip. Until then, pin bursts to the " +
        "project region (home_region_overrides, or candidate_regions = '{}' with project_region set).",
    );
  }
  return lines.join("\n");
}
