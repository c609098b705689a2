/**
 * Burst benchmarks: a trade-burst process of its own (so /proc is its CPU alone), testnet mode against the
 * simulator (so orders reach it and carry its timestamps), the cycling price paths of scenario.ts, the DB proxy
 * counting round trips. One configuration = venues × symbols × tick; each run resets the tables and the paths.
 */
import { z } from "zod";
import type { Simulator } from "../sim/server.ts";
import type { DbProxy } from "./db_proxy.ts";
import { type BenchProcess, shippedEntry, startFunctionProcess, timedRequest } from "./function_process.ts";
import { DepartureLog } from "./order_departures.ts";
import { readCpuMs, readPeakRssMb, readThreadCpuMs } from "./proc.ts";
import {
  type BenchVenue,
  countDbRequests,
  countVenueRequests,
  entryLatencies,
  type EntryLatency,
  type PushToOrder,
  pushToOrderLatencies,
  type VenueRequest,
  type VenueRequestCounts,
} from "./request_analysis.ts";
import { BENCH_USDT, benchSymbols, cyclePath, cyclesFor } from "./scenario.ts";

/** What the bench runs SQL with (postgres.js's tagged template, reduced to what is used here). */
export type SqlRunner = (strings: TemplateStringsArray, ...values: unknown[]) => Promise<unknown>;

export interface BurstConfig {
  venues: BenchVenue[];
  symbols: number;
  /** bot_settings.burst_tick_ms */
  tickMs: number;
  durationMs: number;
  runs: number;
  /** The unmeasured first burst. Default 1000 ms; a burst far from its database needs longer to reach a tick. */
  warmupMs?: number;
  /**
   * The shipped settings for how a burst learns prices and fills (market_data 'stream': streamed book tops and order
   * updates) and exits (protection on the venue), instead of the bench's polled quotes and bot-managed exits. No entry
   * pairs with a ticker answer then, so such a run gives CPU and requests, not data → order latency.
   */
  shipped?: boolean;
  /**
   * With `shipped`: no trade allowed (trading on, max_trades_per_day 0), so the burst streams and decides every top
   * but refuses every entry: the fixed cost of a trading burst second, against which the shipped row's extra is the
   * cost of its trades. (With trading stopped and nothing open, tops start no round at all: a stopped bot costs less.)
   */
  idle?: boolean;
  /** With `shipped`: bot_settings.book_updates (default 'conflated', the shipped default). */
  bookUpdates?: "conflated" | "every_change";
}

export interface BurstRun {
  /** The burst's own duration (its summary). */
  burstMs: number;
  /** Per venue. */
  ticks: Record<string, number>;
  /** Every thread of the process (upper bound). */
  cpuMs: number;
  /** The main thread: the JS isolate and its event loop. */
  mainThreadCpuMs: number;
  peakRssMb: number;
  entries: number;
  ordersSent: number;
  fills: number;
  positionsClosed: number;
  quoteErrors: number;
  venueCounts: VenueRequestCounts[];
  dbRequests: number;
  dbByResource: Record<string, number>;
  latencies: EntryLatency[];
  /**
   * Streamed quotes (shipped settings): book-top push → entry order at the venue, ms (pushToOrderLatencies), and to
   * the order handed to fetch where the process was started with departure stamps.
   */
  pushLatencies?: PushToOrder[];
  /** Book-top stream messages the burst received, all venues (its summary's market_data.messages). */
  streamMessages?: number;
  notes: string[];
}

const venueSummarySchema = z.object({
  venue: z.string(),
  status: z.string(),
  error: z.string().optional(),
  ticks: z.number(),
  quote_errors: z.number(),
  orders_sent: z.number(),
  fills: z.number(),
  positions_closed: z.number(),
  signals: z.object({ entries: z.number() }),
  market_data: z.object({ messages: z.number() }),
  notes: z.array(z.string()),
});
const burstAnswerSchema = z.object({ duration_ms: z.number(), venues: z.array(venueSummarySchema) });

export class BurstRunError extends Error {
  override name = "BurstRunError";
}

export interface BurstBenchDeps {
  sim: Simulator;
  proxy: DbProxy;
  sql: SqlRunner;
  /** Env of the function process (SUPABASE_URL pointing at the proxy, the simulator's keys and base URLs). */
  env: Record<string, string>;
  serviceRoleKey: string;
  logDir: string;
  /** Milliseconds between the simulator's price steps (its config). */
  stepMs: number;
  log?: (line: string) => void;
}

async function resetTables(sql: SqlRunner, config: BurstConfig): Promise<void> {
  await sql`delete from public.trade_logs`;
  await sql`delete from public.orders`;
  await sql`delete from public.armed_orders`;
  await sql`delete from public.positions`;
  await sql`delete from public.function_runs`;
  const symbols = benchSymbols(config.symbols);
  // Caps lifted so risk limits never hide the cost of more symbols; everything else keeps its default, except exits:
  // the burst's own (market sells), as in the published baselines (protection lists are an extra request per entry);
  // and quotes polled: "data → order" here starts at a ticker answer in the simulator's request log, which a streamed
  // quote (the default since issue 17) never makes, so with streams no entry pairs with its data (bench:streams
  // measures the streamed path).
  await sql`update public.bot_settings set mode = 'testnet', trading_enabled = true,
    live_trading_enabled = false,
    symbols = ${symbols}, burst_tick_ms = ${config.tickMs}, max_open_positions = 1000, max_trades_per_day = ${
    config.idle ? 0 : 100000
  },
    max_daily_loss_usd = 1000000, exit_protection = ${config.shipped === true},
    market_data = ${config.shipped ? "stream" : "poll"}, book_updates = ${config.bookUpdates ?? "conflated"}
    where id = 1`;
}

/**
 * Cancels what the last run left resting at the venue, refills USDT, empties the venues' rate-limit windows, and starts
 * fresh paths for the symbols.
 */
function resetMarket(sim: Simulator, config: BurstConfig, durationMs: number, stepMs: number): void {
  const symbols = benchSymbols(config.symbols);
  // Each run starts with the venues' windows empty, as a scheduled burst (one a minute) starts in a new minute: one
  // configuration's spent weight would otherwise stall the next configuration's burst from its first request.
  sim.limits.binance.reset();
  sim.limits.okx.reset();
  for (const venue of ["binance", "okx"] as const) {
    const engine = sim.engines[venue];
    const account = engine.listAccounts()[0].id;
    for (const order of engine.openOrders(account)) engine.cancelOrder(account, { orderId: order.orderId });
    sim.market.setBalance(venue, "USDT", BENCH_USDT);
    // Catch up on the steps due so far, or the idle gap before the burst would consume the new path at once.
    engine.sync();
    symbols.forEach((symbol, i) => {
      const price = engine.market(symbol)?.price;
      if (price === undefined) throw new BurstRunError(`${venue} does not list ${symbol}`);
      engine.setPath(symbol, cyclePath(price, cyclesFor(durationMs, stepMs), i % 10));
    });
  }
}

function toVenueRequests(sim: Simulator, afterId: number): VenueRequest[] {
  return sim.requestLog.list({ afterId }).map((e) => ({
    venue: e.venue,
    method: e.method,
    path: e.path,
    arrivedAt: e.arrivedAtPerf,
    respondedAt: e.respondedAtPerf ?? e.arrivedAtPerf,
    ...(e.clientOrderIds ? { clientOrderIds: [...e.clientOrderIds] } : {}),
  }));
}

/**
 * One measured burst on a running process (exported for ad-hoc profiling runs). `departures`: the process was started
 * with them (startBurstProcess), and its order stamps of this burst are read after the burst's CPU.
 */
export async function runOnce(
  deps: BurstBenchDeps,
  proc: BenchProcess,
  config: BurstConfig,
  durationMs: number,
  departures?: DepartureLog,
): Promise<BurstRun> {
  await resetTables(deps.sql, config);
  resetMarket(deps.sim, config, durationMs, deps.stepMs);
  const simBefore = deps.sim.requestLog.lastId();
  const dbBefore = deps.proxy.lastId();
  const pushesAfter = performance.now();
  const cpuBefore = await readCpuMs(proc.pid);
  const mainBefore = await readThreadCpuMs(proc.pid);
  const answer = await timedRequest(proc.url, {
    body: { duration_ms: durationMs, venues: config.venues },
    bearer: deps.serviceRoleKey,
  });
  const cpuMs = (await readCpuMs(proc.pid)) - cpuBefore;
  const mainThreadCpuMs = (await readThreadCpuMs(proc.pid)) - mainBefore;
  const departed = departures ? await departures.take(proc.pid) : undefined;
  if (answer.status !== 200) {
    throw new BurstRunError(`trade-burst answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 800)}`);
  }
  const summary = burstAnswerSchema.parse(answer.body);
  const failed = summary.venues.filter((v) => v.status !== "ran");
  if (failed.length > 0) {
    throw new BurstRunError(`venues did not run: ${failed.map((v) => `${v.venue} ${v.status} ${v.error ?? ""}`)}`);
  }
  const venueRequests = toVenueRequests(deps.sim, simBefore);
  const db = deps.proxy.log(dbBefore);
  const ticks = Object.fromEntries(summary.venues.map((v) => [v.venue, v.ticks]));
  const sum = (f: (v: z.infer<typeof venueSummarySchema>) => number) => summary.venues.reduce((s, v) => s + f(v), 0);
  return {
    burstMs: summary.duration_ms,
    ticks,
    cpuMs,
    mainThreadCpuMs,
    peakRssMb: await readPeakRssMb(proc.pid),
    entries: sum((v) => v.signals.entries),
    ordersSent: sum((v) => v.orders_sent),
    fills: sum((v) => v.fills),
    positionsClosed: sum((v) => v.positions_closed),
    quoteErrors: sum((v) => v.quote_errors),
    streamMessages: sum((v) => v.market_data.messages),
    venueCounts: config.venues.map((venue) => countVenueRequests(venueRequests, venue, ticks[venue] ?? 0)),
    dbRequests: db.length,
    dbByResource: countDbRequests(db),
    latencies: config.venues.flatMap((venue) => entryLatencies(venueRequests, db, venue)),
    ...(config.shipped
      ? {
        pushLatencies: config.venues.flatMap((venue) =>
          pushToOrderLatencies(
            venueRequests,
            db,
            [
              ...deps.sim.streams.pushesSince(pushesAfter).map((p) => ({ ...p, sentAt: p.sentAtPerf })),
              ...deps.sim.orderStreams.pushesSince(pushesAfter).map((p) => ({
                ...p,
                sentAt: p.sentAtPerf,
                kind: "order" as const,
              })),
            ].sort((a, b) => a.sentAt - b.sentAt),
            venue,
            departed,
          )
        ),
      }
      : {}),
    notes: summary.venues.flatMap((v) => v.notes.slice(0, 3).map((n) => `${v.venue}: ${n}`)),
  };
}

/**
 * The shipped trade-burst as a process of its own. `stamped`: it also stamps its order POSTs
 * (order_departures_preload.ts, beside the unchanged bundle), for push → order handed to fetch.
 */
async function startBurstProcess(
  deps: BurstBenchDeps,
  options: { stamped: boolean; denoArgs?: string[] },
): Promise<{ proc: BenchProcess; departures?: DepartureLog }> {
  const departures = options.stamped
    ? new DepartureLog(`${deps.logDir}/departures-${crypto.randomUUID()}.json`)
    : undefined;
  const proc = await startFunctionProcess({
    entry: await shippedEntry("trade-burst"),
    env: { ...deps.env, ...departures?.env },
    logDir: deps.logDir,
    denoArgs: [...(options.denoArgs ?? []), ...(departures?.denoArgs ?? [])],
  });
  return { proc, departures };
}

/** A fresh process per configuration, one short unmeasured burst (JIT, connections), then `runs` measured bursts. */
export async function measureBurstConfig(deps: BurstBenchDeps, config: BurstConfig): Promise<BurstRun[]> {
  const { proc, departures } = await startBurstProcess(deps, { stamped: config.shipped === true });
  try {
    await runOnce(deps, proc, config, config.warmupMs ?? 1_000, departures);
    const runs: BurstRun[] = [];
    for (let i = 0; i < config.runs; i++) {
      const run = await runOnce(deps, proc, config, config.durationMs, departures);
      const ticks = Object.values(run.ticks).reduce((a, b) => a + b, 0);
      deps.log?.(
        `burst ${config.venues.join("+")} × ${config.symbols} symbols @${config.tickMs} ms #${i + 1}: ` +
          `${ticks} ticks, ${run.cpuMs} ms CPU (main thread ${run.mainThreadCpuMs}), ${run.entries} entries, ${run.dbRequests} DB round trips`,
      );
      runs.push(run);
    }
    return runs;
  } finally {
    await proc.stop();
  }
}

/**
 * A scheduled burst as the cron meets a cold isolate: a fresh process (no V8 code cache), the burst its first request,
 * so its figures carry the start-up and the first-burst costs (code run for the first time) that the warm runs of
 * measureBurstConfig leave out.
 */
export interface ColdBurstRun {
  /** Main-thread CPU from the spawn until the port accepted a connection. */
  startupMainThreadCpuMs: number;
  burst: BurstRun;
}

export async function measureColdBursts(deps: BurstBenchDeps, config: BurstConfig): Promise<ColdBurstRun[]> {
  const runs: ColdBurstRun[] = [];
  for (let i = 0; i < config.runs; i++) {
    // Unstamped: its CPU is the issue 13 figure, with nothing beside the bundle.
    const { proc } = await startBurstProcess(deps, { stamped: false, denoArgs: ["--no-code-cache"] });
    try {
      const startupMainThreadCpuMs = await readThreadCpuMs(proc.pid);
      const burst = await runOnce(deps, proc, config, config.durationMs);
      deps.log?.(
        `cold ${config.durationMs / 1000} s burst${config.idle ? " (no trade allowed)" : ""} #${i + 1}: start-up ` +
          `${startupMainThreadCpuMs} + burst ${burst.mainThreadCpuMs} ms main-thread CPU, ` +
          `${burst.positionsClosed} positions closed`,
      );
      runs.push({ startupMainThreadCpuMs, burst });
    } finally {
      await proc.stop();
    }
  }
  return runs;
}
