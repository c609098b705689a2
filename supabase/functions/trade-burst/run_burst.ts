/**
 * The trade burst: for each venue (concurrently), take the venue's lease, reconcile, and tick until the time budget
 * is spent, stopping early enough to finish inside it. Returns the summary; the run log row records it too.
 *
 * Live trading needs both opt-ins (env ALLOW_LIVE_TRADING=true and bot_settings.live_trading_enabled) and is refused
 * before any exchange call otherwise.
 */
import type { Clock } from "../_shared/clock.ts";
import { BadRequestError, HttpError } from "../_shared/http.ts";
import { describeError } from "../_shared/describe_error.ts";
import { ExchangeLayerError, NeedsHumanError } from "../_shared/exchange/errors.ts";
import { DEFAULT_EXCHANGE_TIMEOUT_MS } from "../_shared/env.ts";
import type { VenueClient } from "../_shared/exchange/venue_client.ts";
import type { OrderExecutor } from "../_shared/orders/executor.ts";
import { ExchangeExecutor } from "../_shared/orders/exchange_executor.ts";
import { LeasedVenueStore } from "../_shared/orders/leased_store.ts";
import type { ArmedOrderStore } from "../_shared/orders/pre_armed.ts";
import { ACTIVE_POSITION_STATUSES } from "../_shared/orders/types.ts";
import type { LeaseOutcome, TradeStore } from "../_shared/orders/store.ts";
import { PaperExecutor } from "../_shared/paper/paper_executor.ts";
import type { Deadline } from "../_shared/exchange/retry.ts";
import type { RunLog, RunOutcome } from "../_shared/run_log.ts";
import type { Settings, TradingMode } from "../_shared/settings.ts";
import { pairOf } from "../_shared/trading/pnl.ts";
import type { Quote } from "../_shared/trading/quote.ts";
import { BurstSettings, type TradingSwitch } from "./burst_settings.ts";
import { DailyTally } from "./daily_tally.ts";
import { selectMarkets } from "./markets.ts";
import {
  type BurstSummary,
  emptyOrderStreamSummary,
  emptyVenueSummary,
  note,
  totalsOf,
  type VenueSummary,
} from "./summary.ts";
import type { QuoteStreamFactory } from "../_shared/market_data/stream_factory.ts";
import type { QuoteStream } from "../_shared/market_data/quote_stream.ts";
import { TickPacer } from "./tick_pacer.ts";
import { QuoteRecorder, type QuoteSink } from "./quote_recorder.ts";
import type { OrderStreamFactory } from "../_shared/order_stream/stream_factory.ts";
import type { OrderStream } from "../_shared/order_stream/order_stream.ts";
import { VenueBurst } from "./venue_burst.ts";
import { type Venue, VENUE_PROFILES, VENUES } from "../_shared/exchange/venues.ts";

export const FUNCTION_NAME = "trade-burst";
/** Time kept back at the end of the budget for the last writes and the lease release. */
const MAX_FINISH_RESERVE_MS = 1_000;
/**
 * Slack in the lease for the database work of the last tick and the finish (a few PostgREST round trips, each bounded
 * by the client's request timeout in db.ts).
 */
export const LEASE_DB_MARGIN_MS = 10_000;

/**
 * How long the venue's lease lasts. No exchange request starts after the budget (the deadline), so a live burst
 * overruns it by at most one request that is already in flight (the exchange timeout) plus its last database writes.
 * The lease covers exactly that, and no more: a burst that died frees its venue one TTL after it started, not an
 * arbitrary minute later.
 */
export function leaseTtlSeconds(durationMs: number, exchangeTimeoutMs: number): number {
  return Math.ceil((durationMs + exchangeTimeoutMs + LEASE_DB_MARGIN_MS) / 1000);
}

export interface BurstRequest {
  durationMs: number;
  venues?: readonly Venue[];
  symbols?: readonly string[];
}

export interface BurstDeps {
  store: TradeStore;
  /**
   * Builds the venue's client for the mode (no keys in paper mode), bound to the burst's deadline. Called only after
   * the live check passed.
   */
  venueClientFactory: (venue: Venue, mode: TradingMode, limits?: { deadline?: Deadline }) => VenueClient;
  /** Where entry ids are armed before the quote; without it every entry is recorded before its send. */
  armedStore?: ArmedOrderStore;
  /** Book-top streams (market_data = 'stream'); without it every burst polls. */
  quoteStreamFactory?: QuoteStreamFactory;
  /** Private order streams (testnet / live with market_data = 'stream'); without it working orders are polled. */
  orderStreamFactory?: OrderStreamFactory;
  /** The per-request exchange timeout the clients use (env EXCHANGE_TIMEOUT_MS); sizes the lease. */
  exchangeTimeoutMs?: number;
  clock: Clock;
  /** The whole settings row, validated: read once per burst (and again only when the row changed). */
  loadSettings: () => Promise<Settings>;
  /**
   * The per-tick read of the Start/Stop switch and the row's updated_at. Without it every tick reads the whole row
   * (unit tests).
   */
  readTradingSwitch?: () => Promise<TradingSwitch>;
  /** env ALLOW_LIVE_TRADING. */
  allowLiveTrading: boolean;
  /** Opens the invocation's function_runs row (all venues); omitted in unit tests. */
  startRun?: () => Promise<RunLog>;
  log?: (line: string) => void;
  notFoundGraceMs?: number;
  /** Writes the latest quotes to market_quotes (quote_recorder.ts), between ticks and at burst end; omitted: none. */
  recordQuotes?: QuoteSink;
}

/** Live mode without both opt-ins. 403 when the deployment (env) does not allow it, 409 when settings do not. */
export class LiveTradingRefusedError extends HttpError {
  override name = "LiveTradingRefusedError";
  constructor(readonly missing: "env" | "settings") {
    super(
      missing === "env" ? 403 : 409,
      "live trading refused: it needs ALLOW_LIVE_TRADING=true in the function env AND " +
        "bot_settings.live_trading_enabled = true; " +
        (missing === "env" ? "ALLOW_LIVE_TRADING is not true" : "bot_settings.live_trading_enabled is false"),
    );
  }
}

/** Throws LiveTradingRefusedError unless the mode is not live or both opt-ins are set. */
export function checkLiveOptIn(settings: Pick<Settings, "mode" | "live_trading_enabled">, allowLive: boolean): void {
  if (settings.mode !== "live") return;
  if (!allowLive) throw new LiveTradingRefusedError("env");
  if (!settings.live_trading_enabled) throw new LiveTradingRefusedError("settings");
}

/** Requested symbols must be configured ones: a caller may narrow the list, never widen it. */
export function checkSymbols(requested: readonly string[] | undefined, settings: Settings): void {
  if (!requested) return;
  const allowed = new Set(settings.symbols);
  const issues = requested.flatMap((symbol, i) =>
    allowed.has(symbol) ? [] : [{
      path: `symbols.${i}`,
      message: `${symbol} is not in bot_settings.symbols (${settings.symbols.join(", ")})`,
    }]
  );
  if (issues.length > 0) {
    throw new BadRequestError(`invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, issues);
  }
}

function leaseOutcome(summary: VenueSummary): LeaseOutcome {
  if (summary.status === "error") return "error";
  return summary.quote_errors > 0 || summary.notes.some((n) => n.startsWith("tick:")) ? "partial" : "ok";
}

function runOutcome(venues: readonly VenueSummary[]): RunOutcome {
  const ran = venues.filter((v) => v.status !== "skipped");
  if (ran.length === 0) return "skipped";
  if (ran.every((v) => v.status === "error")) return "error";
  if (ran.some((v) => v.status === "error" || leaseOutcome(v) === "partial")) return "partial";
  return venues.length === ran.length ? "ok" : "partial";
}

interface VenueRunOptions {
  deps: BurstDeps;
  venue: Venue;
  settings: BurstSettings;
  daily: DailyTally;
  symbols: readonly string[];
  durationMs: number;
  startedMono: number;
}

async function runVenue(options: VenueRunOptions): Promise<VenueSummary> {
  const { deps, venue, durationMs, startedMono } = options;
  const { clock, store } = deps;
  const settings = options.settings.current;
  const summary = emptyVenueSummary(venue);
  const ttl = leaseTtlSeconds(durationMs, deps.exchangeTimeoutMs ?? DEFAULT_EXCHANGE_TIMEOUT_MS);
  const runId = await store.acquireLease(FUNCTION_NAME, venue, ttl);
  if (!runId) {
    summary.status = "skipped";
    summary.skip_reason = "lease_held";
    return summary;
  }
  let burst: VenueBurst | undefined;
  let stream: QuoteStream | undefined;
  const recorder = deps.recordQuotes
    ? new QuoteRecorder({ venue, mode: settings.mode, sink: deps.recordQuotes, clock, summary })
    : undefined;
  let orderStream: OrderStream | undefined;
  /** Streaming: the quotes' write in flight (it never throws). */
  let quoteWrite: Promise<void> = Promise.resolve();
  const reserveMs = Math.min(MAX_FINISH_RESERVE_MS, durationMs * 0.1);
  // No exchange request (read, retry, order, cancel) starts after this: the burst ends inside its budget plus at most
  // one request already in flight.
  const deadline: Deadline = { remainingMs: () => startedMono + durationMs - reserveMs - clock.monotonicMs() };
  // The lease makes this burst the only writer of the venue's orders and positions: keep them in memory.
  const leased = new LeasedVenueStore(store, venue, settings.mode);
  try {
    await leased.load();
    const client = deps.venueClientFactory(venue, settings.mode, { deadline });
    // Opened first: its login and subscription run while the burst loads and reconciles (paper mode has none).
    if (settings.mode !== "paper" && settings.market_data === "stream" && deps.orderStreamFactory) {
      orderStream = deps.orderStreamFactory(venue, settings.mode);
      if (orderStream) {
        orderStream.start();
        summary.order_stream = emptyOrderStreamSummary();
      }
    }
    // Every symbol with an active position is managed, even one the settings or the request left out (issue 14).
    const held = await leased.listPositions(venue, settings.mode, ACTIVE_POSITION_STATUSES);
    const managedSymbols = [...new Set([...options.symbols, ...held.map((p) => p.symbol)])];
    // Markets of the assets a fee may be charged in, so such a fee can be valued from a quote (not traded).
    const quoteAssets = [...new Set(managedSymbols.map((symbol) => pairOf(symbol).quote))];
    const feePairs = VENUE_PROFILES[venue].thirdFeeAssets.flatMap((asset) =>
      quoteAssets.map((quote) => `${asset}/${quote}`)
    );
    const loaded = await client.loadMarkets([...new Set([...managedSymbols, ...feePairs])]);
    const selected = selectMarkets(loaded, managedSymbols, {
      paperFees: VENUE_PROFILES[venue].baseTierSpotFees,
    });
    summary.skipped_symbols = selected.skipped;
    const symbols = options.symbols.filter((s) => selected.markets.has(s));
    const quotes = new Map<string, Quote>();
    if (settings.market_data === "stream" && deps.quoteStreamFactory && symbols.length > 0) {
      stream = deps.quoteStreamFactory(venue, settings.mode, symbols, settings.book_updates);
      stream.start();
      summary.market_data.source = "stream";
      summary.market_data.channel = stream.channel;
    }
    const executor: OrderExecutor = settings.mode === "paper"
      ? new PaperExecutor({
        venue,
        store: leased,
        quotes,
        markets: new Map([...selected.markets].map(([symbol, m]) => [symbol, m.paper])),
        startingQuote: settings.paper_starting_usdt,
      })
      : new ExchangeExecutor(settings.mode, client, { nowMs: () => clock.monotonicMs() });
    burst = new VenueBurst({
      venue,
      store: leased,
      client,
      executor,
      markets: selected.markets,
      symbols,
      managedSymbols: managedSymbols.filter((s) => selected.markets.has(s)),
      quotes,
      clock,
      settings: options.settings,
      daily: options.daily,
      summary,
      notFoundGraceMs: deps.notFoundGraceMs,
      deadline,
      stream,
      armedStore: deps.armedStore,
      quoteRecorder: recorder,
      orderStream,
    });
    await burst.reconcile();

    const tickMs = settings.burst_tick_ms;
    const pacer = new TickPacer(clock, tickMs, stream, orderStream);
    const maxTicks = pacer.maxTicks(durationMs);
    let longestTickMs = 0;
    /** Streaming: when the last prepared tick began (the pacer polls burst_tick_ms after it at the latest). */
    let lastPreparedAt: number | null = null;
    while (summary.ticks < maxTicks) {
      const tickStart = clock.monotonicMs();
      let waitedMs = 0;
      // Streaming: a tick prepares (switch, order updates, protection, arming) only when something happened or
      // burst_tick_ms went by, then waits for the top it acts on, so a push meets a prepared tick and a round costs
      // its decisions. Polling: the wait comes between ticks and the quote request ends it.
      // The quotes' write (every few seconds) overlaps the wait, never a tick's quote-to-order path.
      const prepare = !stream || lastPreparedAt === null || burst.needsPreparation ||
        tickStart - lastPreparedAt >= tickMs;
      const preparedAt = prepare ? tickStart : lastPreparedAt;
      // The first tick acts on what it has (the stream may still be connecting: then it polls).
      const waitForData = stream && lastPreparedAt !== null && preparedAt !== null
        ? async () => {
          const from = clock.monotonicMs();
          // The quotes' write runs beside the rounds: a round that a top starts must not wait for it.
          if (recorder) quoteWrite = quoteWrite.then(() => recorder.betweenTicks());
          await pacer.waitForData(preparedAt, from, burst!.decidesOnTops);
          waitedMs = clock.monotonicMs() - from;
        }
        : undefined;
      try {
        await burst.tick(waitForData, prepare);
      } catch (error) {
        // Keys or permissions refused: no later tick can fix it, so the venue's burst ends here as an error.
        if (!(error instanceof ExchangeLayerError) || error instanceof NeedsHumanError) throw error;
        note(summary, `tick: ${describeError(error)}`);
      }
      if (prepare) lastPreparedAt = tickStart;
      const tickEnd = clock.monotonicMs();
      longestTickMs = Math.max(longestTickMs, tickEnd - tickStart - waitedMs);
      // Start another tick only if one as slow as the slowest so far still ends before the deadline; otherwise stop
      // now rather than wait for a tick that will not come.
      const nextStart = stream ? tickEnd : Math.max(tickEnd, tickStart + tickMs);
      if (nextStart - startedMono + longestTickMs + reserveMs >= durationMs) break;
      if (!stream) await Promise.all([recorder?.betweenTicks(), pacer.wait(tickStart, tickEnd)]);
    }
    // The tables end the burst as fresh as the venue.
    await burst.finishTicks();
    await leased.flush();
  } catch (error) {
    summary.status = "error";
    summary.error = describeError(error);
    if (error instanceof NeedsHumanError) summary.error_kind = "needs_human";
    deps.log?.(`trade-burst ${venue}: ${summary.error}`);
  } finally {
    try {
      // An entry or a protection placement still in flight (the burst failed beside it) ends before the lease does.
      await burst?.joinBeside();
    } catch (error) {
      note(summary, `in flight at the end: ${describeError(error)}`);
    }
    await burst?.retireArmed();
    burst?.finishSummary();
    if (stream) {
      await stream.close();
      Object.assign(summary.market_data, {
        messages: stream.stats.messages,
        repeats: stream.stats.repeats,
        garbage: stream.stats.garbage,
        drops: stream.stats.drops,
        stalls: stream.stats.stalls,
        reconnects: stream.stats.reconnects,
      });
      if (stream.stats.last_fault) note(summary, `stream: last fault ${stream.stats.last_fault}`);
    }
    await quoteWrite;
    await recorder?.flush();
    if (orderStream) {
      await orderStream.close();
      if (summary.order_stream) {
        const { subscriptions, garbage, drops, stalls, reconnects, refused } = orderStream.stats;
        Object.assign(summary.order_stream, { subscriptions, garbage, drops, stalls, reconnects, refused });
      }
      if (orderStream.stats.last_fault) note(summary, `order stream: last fault ${orderStream.stats.last_fault}`);
    }
    try {
      // Whatever the burst queued after its last tick (or before it failed) reaches the tables before the lease ends.
      await leased.flush();
    } catch (error) {
      if (summary.status !== "error") {
        summary.status = "error";
        summary.error = describeError(error);
      } else note(summary, `final writes: ${describeError(error)}`);
    }
    summary.duration_ms = Math.round(clock.monotonicMs() - startedMono);
    try {
      await store.releaseLease(runId, leaseOutcome(summary), summary, summary.error ?? null);
    } catch (error) {
      note(summary, `lease release: ${describeError(error)}`);
    }
  }
  return summary;
}

/**
 * Runs one burst. Throws BadRequestError for symbols outside settings and LiveTradingRefusedError for live without
 * both opt-ins, in both cases before any exchange call or trading write.
 */
export async function runBurst(deps: BurstDeps, request: BurstRequest): Promise<BurstSummary> {
  const startedMono = deps.clock.monotonicMs();
  const settings = await deps.loadSettings();
  checkSymbols(request.symbols, settings);
  try {
    checkLiveOptIn(settings, deps.allowLiveTrading);
  } catch (error) {
    if (deps.startRun && error instanceof LiveTradingRefusedError) {
      const run = await deps.startRun();
      await run.finish("skipped", { mode: settings.mode, refused: error.missing }, error.message);
    }
    throw error;
  }
  const run = await deps.startRun?.();
  const venues = [...new Set(request.venues ?? VENUES)];
  const symbols = request.symbols ? [...request.symbols] : [...settings.symbols];
  const burstSettings = new BurstSettings(settings, {
    reload: deps.loadSettings,
    readSwitch: deps.readTradingSwitch,
    nowMs: () => deps.clock.monotonicMs(),
    // Venues ticking together share one read; a prepared tick sees one started at most a tick ago.
    maxAgeMs: settings.burst_tick_ms,
  });
  const daily = new DailyTally(deps.store, settings.mode);
  let venueSummaries: VenueSummary[];
  try {
    // Today's counters are read once, before any venue writes, then follow what the venues do.
    await daily.current(deps.clock.now());
    venueSummaries = await Promise.all(
      venues.map((venue) =>
        runVenue({
          deps,
          venue,
          settings: burstSettings,
          daily,
          symbols,
          durationMs: request.durationMs,
          startedMono,
        })
      ),
    );
  } catch (error) {
    await run?.finish("error", { mode: settings.mode }, describeError(error));
    throw error;
  }
  const summary: BurstSummary = {
    mode: settings.mode,
    duration_ms: Math.round(deps.clock.monotonicMs() - startedMono),
    requested_ms: request.durationMs,
    venues: venueSummaries,
    totals: totalsOf(venueSummaries),
    skipped_venues: venueSummaries.filter((v) => v.status === "skipped").map((v) => ({
      venue: v.venue,
      reason: v.skip_reason ?? "skipped",
    })),
  };
  const errors = venueSummaries.filter((v) => v.error).map((v) => `${v.venue}: ${v.error}`);
  await run?.finish(runOutcome(venueSummaries), summary, errors.length > 0 ? errors.join("; ") : null);
  return summary;
}
