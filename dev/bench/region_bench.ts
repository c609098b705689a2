/**
 * Issue 18's benchmark: data → order (the venue's ticker answer leaving the venue → the entry order arriving at the
 * venue) for a binance burst placed two ways in the same run, with the latency model's delay proxies:
 *   - home region (Tokyo): venue 1 ms one way, database 73 ms one way (Tokyo ↔ N. Virginia, half of 145.3 ms);
 *   - database region (N. Virginia): venue 73 ms one way, database 1 ms.
 * Figures from the AWS inter-region table cited in dev/stack/regions.ts. The simulator's request log and the DB
 * proxy's log are timed at the venue and database ends, so the delays are inside what is measured.
 */
import postgres from "postgres";
import { type Simulator, startSimulator } from "../sim/server.ts";
import { startStack } from "../stack/stack.ts";
import { startDelayProxy } from "../stack/delay_proxy.ts";
import { type BurstRun, measureBurstConfig, type SqlRunner } from "./burst_bench.ts";
import { type DbProxy, startDbProxy } from "./db_proxy.ts";
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

export interface PlacementDeps {
  sim: Simulator;
  /** The DB proxy in front of the gateway (it times every request at the database end). */
  proxy: DbProxy;
  sql: SqlRunner;
  /** The stack's function env (keys); the placement adds SB_REGION, SUPABASE_URL and the venue URLs. */
  functionEnv: Record<string, string>;
  serviceRoleKey: string;
  logDir: string;
  log: (line: string) => void;
}

/** Both placements, one after the other, on the caller's simulator and stack (part of `deno task bench`). */
export async function measurePlacements(deps: PlacementDeps, options: RegionBenchOptions): Promise<PlacementResult[]> {
  const { sim, proxy } = deps;
  const results: PlacementResult[] = [];
  for (const placement of PLACEMENTS) {
    deps.log(
      `placement ${placement.name}: venue ${placement.venueOneWayMs} ms, database ${placement.databaseOneWayMs} ms`,
    );
    const venue = startDelayProxy(portOf(sim.origin), placement.venueOneWayMs);
    const database = startDelayProxy(portOf(proxy.url), placement.databaseOneWayMs);
    try {
      const env: Record<string, string> = {
        ...deps.functionEnv,
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
        sql: deps.sql,
        env,
        serviceRoleKey: deps.serviceRoleKey,
        logDir: deps.logDir,
        stepMs: options.stepMs,
        log: deps.log,
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
  return results;
}

/** On a stack and simulator of its own (scripts/bench_regions.ts prints just this section). */
export async function runRegionBench(options: RegionBenchOptions, log: (line: string) => void) {
  const sim = await startSimulator({ seed: 18, config: benchSimConfig(options.stepMs) });
  const stack = await startStack({ functions: false });
  const proxy = startDbProxy(stack.gatewayUrl);
  const sqlClient = postgres(stack.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  const logDir = await Deno.makeTempDir({ dir: stack.logDir, prefix: "bench-regions-" });
  try {
    const serviceRoleKey = stack.serviceRoleKey;
    if (!serviceRoleKey) throw new Error("bench: the stack has no legacy service role key");
    return await measurePlacements({
      sim,
      proxy,
      sql: sqlClient as unknown as SqlRunner,
      functionEnv: stack.functionEnv,
      serviceRoleKey,
      logDir,
      log,
    }, options);
  } finally {
    await sqlClient.end();
    await proxy.stop();
    await stack.stop();
    await sim.stop();
  }
}

const f1 = (ms: number) => ms.toFixed(1);

/** The options `deno task bench` runs the placements with (scripts/bench_regions.ts too). */
export function regionBenchOptions(quick: boolean): RegionBenchOptions {
  return quick
    // 10 s even when quick: 73 ms from its database, the home-region burst spends its first seconds on set-up.
    ? { runs: 1, durationMs: 10_000, tickMs: 200, stepMs: 200, symbols: 4 }
    : { runs: 3, durationMs: 10_000, tickMs: 200, stepMs: 200, symbols: 4 };
}

interface PlacementFigures {
  entries: number;
  medianMs: number;
  p90Ms: number;
  insertMs: number;
  dbOnPath: number;
}

function figuresOf(r: PlacementResult | undefined): PlacementFigures | null {
  const latencies = r?.runs.flatMap((run) => run.latencies) ?? [];
  if (!r || r.error || latencies.length === 0) return null;
  const ms = latencies.map((l) => l.latencyMs);
  return {
    entries: latencies.length,
    medianMs: median(ms),
    p90Ms: percentile(ms, 90),
    insertMs: median(latencies.map((l) => l.insertMs)),
    dbOnPath: median(latencies.map((l) => l.dbRequestsOnPath)),
  };
}

/**
 * The markdown section for docs/BENCHMARKS.md (written by `deno task bench`); a figure short of issue 18's intent
 * (data → order from the home region approaching the venue round trip, no database round trip on the path) is pushed
 * to `misses`.
 */
export function renderRegionSection(
  results: readonly PlacementResult[],
  options: RegionBenchOptions,
  misses: string[] = [],
): string {
  const [homeResult, dbResult] = results;
  const home = figuresOf(homeResult);
  const dbRegion = figuresOf(dbResult);
  const ratio = home && dbRegion && dbRegion.medianMs > 0 ? home.medianMs / dbRegion.medianMs : null;
  const lines = [
    "## 7. Issue 18: burst placement (home region vs database region)",
    "",
    `Same run, binance, ${options.symbols} symbols, tick ${options.tickMs} ms, ${options.runs} × ${
      options.durationMs / 1000
    } s bursts per placement (\`dev/bench/region_bench.ts\`). One-way delays from the latency model ` +
    "(dev/stack/regions.ts: half the AWS inter-region round trips; Tokyo ↔ N. Virginia 145.3 ms), applied by delay " +
    "proxies in front of the simulator and of the PostgREST hop. data → order = ticker answer leaving the venue → " +
    "entry order arriving at the venue. The ratio compares each placement's median with the database region's, same run.",
    "",
    "| placement | venue one way | database one way | entries | data → order median | p90 | vs database region | of which track-before-send insert (median) | DB round trips on the path (median) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const f = figuresOf(r);
    const head = `| ${r.placement.name} | ${r.placement.venueOneWayMs} ms | ${r.placement.databaseOneWayMs} ms`;
    if (!f) {
      const why = r.error ? `failed: ${r.error.slice(0, 120)}` : "no entry paired with its order";
      lines.push(`${head} | 0 | ${why} | | | | |`);
      continue;
    }
    const vs = r === dbResult
      ? "baseline"
      : dbRegion && dbRegion.medianMs > 0
      ? `×${(f.medianMs / dbRegion.medianMs).toFixed(2)}`
      : "–";
    lines.push(
      `${head} | ${f.entries} | ${f1(f.medianMs)} ms | ${f1(f.p90Ms)} ms | ${vs} | ${
        f1(f.insertMs)
      } ms | ${f.dbOnPath} |`,
    );
  }
  if (!home || !dbRegion || ratio === null) {
    misses.push("Issue 18 placement: a placement produced no figures (section 7), so there is no comparison.");
    return lines.join("\n");
  }
  const venueRtt = 2 * (homeResult!.placement.venueOneWayMs);
  const dbRtt = 2 * (homeResult!.placement.databaseOneWayMs);
  lines.push(
    "",
    `Reading: from the home region data → order is ${f1(home.medianMs)} ms against ${f1(dbRegion.medianMs)} ms from ` +
      `the database's region (×${ratio.toFixed(2)}); the venue round trip from the home region is ${venueRtt} ms, ` +
      `a database round trip from there ${dbRtt} ms. ` +
      (home.dbOnPath >= 1
        ? `${home.dbOnPath} database requests (median) start between the data and the order (some beside the path ` +
          `rather than on it); the figure less the venue round trip is worth ` +
          `${((home.medianMs - venueRtt) / dbRtt).toFixed(1)} database round trips from the home region.`
        : "No database round trip starts between the data and the order: what is left above the venue round trip " +
          "is the burst's own work (tick wait, decision, signing) and this machine's load."),
  );
  if (home.dbOnPath >= 1) {
    misses.push(
      `Issue 18 placement: ${home.dbOnPath} database requests (median) remain on the data → order path from the ` +
        `home region (${f1(home.medianMs)} ms against a ${venueRtt} ms venue round trip; section 7).`,
    );
  }
  if (ratio >= 1) {
    misses.push(
      `Issue 18 placement: the home region is not faster from data to order than the database region ` +
        `(×${ratio.toFixed(2)}, section 7).`,
    );
  }
  return lines.join("\n");
}
