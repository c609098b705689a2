/**
 * The whole benchmark: local stack (functions not started by it), simulator, DB proxy, then cold starts, the
 * start-up anatomy and the burst configurations. Returns raw results; report.ts turns them into markdown.
 */
import postgres from "postgres";
import { REPO_ROOT } from "../stack/commands.ts";
import { startStack } from "../stack/stack.ts";
import { startSimulator } from "../sim/server.ts";
import {
  type BurstConfig,
  type BurstRun,
  type ColdBurstRun,
  measureBurstConfig,
  measureColdBursts,
  type SqlRunner,
} from "./burst_bench.ts";
import {
  type AnatomyRun,
  ccxtPackageDir,
  type ColdStartRun,
  type ColdStartTarget,
  type ListenRun,
  measureColdStartsInterleaved,
  measureListensWithCodeCache,
  measureStartupAnatomy,
  writeTwoClassProbe,
} from "./cold_start.ts";
import { type ArtifactResults, measureArtifacts } from "./artifacts.ts";
import { startDbProxy } from "./db_proxy.ts";
import { shippedEntry } from "./function_process.ts";
import { describeMachine, type MachineInfo } from "./machine.ts";
import { benchFunctionEnv, benchSimConfig, benchSymbols, SCHEDULED_BURST_MS } from "./scenario.ts";
import {
  measurePlacements,
  type PlacementResult,
  type RegionBenchOptions,
  regionBenchOptions,
} from "./region_bench.ts";

/** Must match the import map's ccxt (deno.json). */
export const CCXT_VERSION = "4.5.84";

export interface BenchOptions {
  quick: boolean;
  coldRuns: number;
  burstRuns: number;
  burstMs: number;
  /** The fast tick the scale runs use (bot_settings.burst_tick_ms). */
  tickMs: number;
  /** The simulator's price step. */
  stepMs: number;
  /** Symbol counts for the scale runs. */
  symbolCounts: number[];
  /** The default-cadence run: bot_settings defaults (1000 ms tick) for the default burst length. */
  defaultCadence: { tickMs: number; durationMs: number; runs: number };
  /** Issue 18's placements (home region vs database region); absent in results saved before they were part of it. */
  regions?: RegionBenchOptions;
  /** The scheduled burst on a cold process (ColdBurstRun); absent in results saved before it was measured. */
  scheduled?: { durationMs: number; runs: number };
}

export function benchOptions(quick: boolean): BenchOptions {
  return quick
    ? {
      quick,
      coldRuns: 1,
      burstRuns: 1,
      burstMs: 3_000,
      tickMs: 200,
      stepMs: 200,
      symbolCounts: [4, 20, 50],
      defaultCadence: { tickMs: 1_000, durationMs: 5_000, runs: 1 },
      regions: regionBenchOptions(true),
      scheduled: { durationMs: 5_000, runs: 1 },
    }
    : {
      quick,
      coldRuns: 5,
      burstRuns: 3,
      burstMs: 10_000,
      tickMs: 200,
      stepMs: 200,
      symbolCounts: [4, 20, 50],
      defaultCadence: { tickMs: 1_000, durationMs: 20_000, runs: 2 },
      regions: regionBenchOptions(false),
      scheduled: { durationMs: SCHEDULED_BURST_MS, runs: 3 },
    };
}

export interface ColdStartResult {
  name: string;
  baseline: boolean;
  /** What the first request was. */
  request: string;
  runs: ColdStartRun[];
  error?: string;
}

/** A start alone, with Deno's code cache filled for the entry (absent in results saved before it was measured). */
export interface CachedListenResult {
  name: string;
  runs: ListenRun[];
  error?: string;
}

export interface BurstResult {
  config: BurstConfig;
  /**
   * "scale" runs at the fast tick, "default" at bot_settings' default cadence, "shipped" at the default cadence with
   * the shipped stream and protection settings (BurstConfig.shipped).
   */
  kind: "scale" | "default" | "shipped";
  runs: BurstRun[];
  error?: string;
}

/** The shipped burst on cold processes, trading or with no trade allowed (`config.idle`). */
export interface ColdBurstResult {
  config: BurstConfig;
  runs: ColdBurstRun[];
  error?: string;
}

export interface BenchResults {
  machine: MachineInfo;
  options: BenchOptions;
  startedAt: string;
  totalSeconds: number;
  coldStarts: ColdStartResult[];
  coldStartsCodeCached?: CachedListenResult[];
  anatomy: AnatomyRun[];
  anatomyError?: string;
  bursts: BurstResult[];
  /** The shipped bundles' sizes (absent in results saved before bundling). */
  artifacts?: ArtifactResults;
  artifactsError?: string;
  /** Issue 18: the same burst next to the venue and next to the database (absent in older saved results). */
  regions?: PlacementResult[];
  regionsError?: string;
  /** Absent in results saved before the cold scheduled bursts were measured. */
  coldBursts?: ColdBurstResult[];
}

/** The two-class probe as a cold-start target, or nothing when ccxt's files are not where Deno keeps npm packages. */
async function twoClassProbe(dir: string): Promise<(ColdStartTarget & { baseline: boolean; request: string })[]> {
  const ccxtDir = await ccxtPackageDir(CCXT_VERSION);
  if (!ccxtDir) return [];
  return [{
    name: "probe: only binance.js + okx.js (not deployable)",
    entry: await writeTwoClassProbe(dir, ccxtDir),
    baseline: true,
    request: "GET",
  }];
}

const describe = (error: unknown) => error instanceof Error ? error.message : String(error);

export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<BenchResults> {
  const started = performance.now();
  const machine = await describeMachine();
  const sim = await startSimulator({ seed: 11, config: benchSimConfig(options.stepMs) });
  log(`simulator at ${sim.origin}`);
  const stack = await startStack({ functions: false });
  // The bench calls the functions with the legacy bearer; the default stack has legacy keys.
  const serviceRoleKey = stack.serviceRoleKey;
  if (!serviceRoleKey) throw new Error("bench: the stack has no legacy service role key");
  log(`stack up (gateway ${stack.gatewayUrl})`);
  const proxy = startDbProxy(stack.gatewayUrl);
  const sqlClient = postgres(stack.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  const sql = sqlClient as unknown as SqlRunner;
  const logDir = await Deno.makeTempDir({ dir: stack.logDir, prefix: "bench-" });
  const env = benchFunctionEnv(stack.functionEnv, sim, proxy.url);
  const results: BenchResults = {
    machine,
    options,
    startedAt: new Date().toISOString(),
    totalSeconds: 0,
    coldStarts: [],
    anatomy: [],
    bursts: [],
  };
  try {
    results.artifacts = await measureArtifacts();
  } catch (error) {
    results.artifactsError = describe(error);
  }
  try {
    // Cold starts: testnet settings, 4 symbols, so every function does its real work against the simulator.
    const prepare = async () => {
      await sql`delete from public.function_runs`;
      await sql`update public.bot_settings set mode = 'testnet', trading_enabled = true,
        symbols = ${benchSymbols(4)}, burst_tick_ms = ${options.tickMs} where id = 1`;
    };
    const targets: (ColdStartTarget & { baseline: boolean; request: string })[] = [
      { name: "floor: Deno.serve, no imports", entry: "dev/bench/baseline_floor.ts", baseline: true, request: "GET" },
      {
        name: "baseline: naive `import ccxt`",
        entry: "dev/bench/baseline_ccxt_naive.ts",
        baseline: true,
        request: "GET",
      },
      ...await twoClassProbe(logDir),
      {
        // The same function from its TypeScript sources (npm: imports, whole ccxt): what the bundle replaced.
        name: "reference: trade-burst from its sources",
        entry: "supabase/functions/trade-burst/index.ts",
        body: { duration_ms: 1_000, venues: ["binance", "okx"] },
        bearer: stack.serviceRoleKey,
        before: prepare,
        baseline: true,
        request: "as trade-burst below",
      },
      {
        name: "balance-sync",
        entry: await shippedEntry("balance-sync"),
        body: {},
        bearer: serviceRoleKey,
        before: prepare,
        baseline: false,
        request: "`{}`: both venues' balances (testnet → signed calls) written to the tables",
      },
      {
        name: "latency-sample",
        entry: await shippedEntry("latency-sample"),
        body: { samples: 1, spacing_ms: 0 },
        bearer: serviceRoleKey,
        before: prepare,
        baseline: false,
        request: "`{samples: 1, spacing_ms: 0}`: one server-time round trip per venue, logged",
      },
      {
        name: "trade-burst",
        entry: await shippedEntry("trade-burst"),
        body: { duration_ms: 1_000, venues: ["binance", "okx"] },
        bearer: serviceRoleKey,
        before: prepare,
        baseline: false,
        request: "`{duration_ms: 1000}`: the shortest burst, 2 venues × 4 symbols",
      },
    ];
    const measured = await measureColdStartsInterleaved(targets, { env, logDir, runs: options.coldRuns, log });
    for (const { target, runs, error } of measured) {
      if (error !== undefined) log(`cold start ${target.name} failed: ${describe(error)}`);
      results.coldStarts.push({
        name: target.name,
        baseline: target.baseline,
        request: target.request,
        runs,
        ...(error === undefined ? {} : { error: describe(error) }),
      });
    }
    const cached = await measureListensWithCodeCache(targets, { env, logDir, runs: options.coldRuns, log });
    results.coldStartsCodeCached = cached.map(({ target, runs, error }) => ({
      name: target.name,
      runs,
      ...(error === undefined ? {} : { error: describe(error) }),
    }));
    try {
      results.anatomy = await measureStartupAnatomy(options.coldRuns, REPO_ROOT);
    } catch (error) {
      results.anatomyError = describe(error);
    }

    const burstDeps = {
      sim,
      proxy,
      sql,
      env,
      serviceRoleKey,
      logDir,
      stepMs: options.stepMs,
      log,
    };
    const defaultCadence: BurstConfig = {
      venues: ["binance", "okx"],
      symbols: 4,
      tickMs: options.defaultCadence.tickMs,
      durationMs: options.defaultCadence.durationMs,
      runs: options.defaultCadence.runs,
    };
    const configs: { config: BurstConfig; kind: BurstResult["kind"] }[] = [
      { kind: "default", config: defaultCadence },
      { kind: "shipped", config: { ...defaultCadence, shipped: true } },
      { kind: "shipped", config: { ...defaultCadence, shipped: true, idle: true } },
    ];
    for (const venues of [["binance"], ["binance", "okx"]] as const) {
      for (const symbols of options.symbolCounts) {
        configs.push({
          kind: "scale",
          config: {
            venues: [...venues],
            symbols,
            tickMs: options.tickMs,
            durationMs: options.burstMs,
            runs: options.burstRuns,
          },
        });
      }
    }
    for (const { config, kind } of configs) {
      try {
        results.bursts.push({ config, kind, runs: await measureBurstConfig(burstDeps, config) });
      } catch (error) {
        log(`burst ${config.venues.join("+")} × ${config.symbols} failed: ${describe(error)}`);
        results.bursts.push({ config, kind, runs: [], error: describe(error) });
      }
    }
    if (options.scheduled) {
      results.coldBursts = [];
      const scheduled: BurstConfig = {
        ...defaultCadence,
        durationMs: options.scheduled.durationMs,
        runs: options.scheduled.runs,
        shipped: true,
      };
      for (const config of [scheduled, { ...scheduled, idle: true }]) {
        try {
          results.coldBursts.push({ config, runs: await measureColdBursts(burstDeps, config) });
        } catch (error) {
          log(`cold burst${config.idle ? " (no trade allowed)" : ""} failed: ${describe(error)}`);
          results.coldBursts.push({ config, runs: [], error: describe(error) });
        }
      }
    }
    if (options.regions) {
      try {
        results.regions = await measurePlacements({
          sim,
          proxy,
          sql,
          functionEnv: stack.functionEnv,
          serviceRoleKey,
          logDir,
          log,
        }, options.regions);
      } catch (error) {
        log(`placements failed: ${describe(error)}`);
        results.regionsError = describe(error);
      }
    }
  } finally {
    await sqlClient.end({ timeout: 5 });
    await proxy.stop();
    await stack.stop();
    await sim.stop();
  }
  results.totalSeconds = (performance.now() - started) / 1000;
  return results;
}
