/**
 * One venue's burst: reconcile, then ticks until the time budget is spent.
 *
 * A tick is two phases. First everything that does not depend on prices: the Start/Stop switch, refreshing working
 * orders, moving positions along their fills (and cancelling entries that waited too long), today's counters and,
 * when stale, the free balance. Then the hot path: one quote request for every symbol, exit decisions and exits,
 * entry decisions and entries, so nothing but decisions and our own orders sits between a quote and an order.
 *
 * State between ticks lives in memory: the burst holds the venue's lease, so its orders and positions change only
 * through it (the store is a LeasedVenueStore), today's counters move with what the venues do (DailyTally), and the
 * free balance moves with what entries reserve (FreeQuoteLedger). Every change is written to the tables first.
 *
 * This file is the outline; the work is done by the parts it holds: OrderTracker (_shared/orders/order_tracker.ts)
 * owns every order (record, send, look up, cancel, refresh), PositionKeeper moves positions along and sends exits,
 * QuoteFeed reads quotes and momentum, decideEntry (entry_decision.ts) decides entries, ExitRetry retries refused
 * exits, FeeValuation values fees paid in a third currency, ProtectionKeeper keeps a take profit and a stop loss
 * resting on the venue for every position that holds something.
 *
 * A venue that refuses our keys (NeedsHumanError) stops the burst at once: no later tick can fix it.
 */
import type { Clock } from "../_shared/clock.ts";
import { describeError } from "../_shared/describe_error.ts";
import { ExchangeLayerError, NeedsHumanError } from "../_shared/exchange/errors.ts";
import type { Deadline } from "../_shared/exchange/retry.ts";
import type { VenueClient } from "../_shared/exchange/venue_client.ts";
import { defensiveBand } from "../_shared/latency/bands.ts";
import type { OrderExecutor } from "../_shared/orders/executor.ts";
import { OrderTracker } from "../_shared/orders/order_tracker.ts";
import { reconcileVenue } from "../_shared/orders/reconcile.ts";
import type { DailyStats, TradeStore } from "../_shared/orders/store.ts";
import type { PositionRow } from "../_shared/orders/types.ts";
import type { LatencyBand, Settings } from "../_shared/settings.ts";
import { isFinalStatus } from "../_shared/trading/lifecycle.ts";
import type { Quote } from "../_shared/trading/quote.ts";
import type { BurstSettings } from "./burst_settings.ts";
import type { DailyTally } from "./daily_tally.ts";
import { decideEntry } from "./entry_decision.ts";
import { ExitRetry, MAX_REJECTED_EXITS } from "./exit_retry.ts";
import { FeeValuation } from "./fee_valuation.ts";
import { FreeQuoteLedger } from "./free_quote.ts";
import type { BurstMarket } from "./markets.ts";
import { burstExitReason, isActive, PositionKeeper, type Settled } from "./position_keeper.ts";
import { ProtectionKeeper } from "./protection_keeper.ts";
import { QuoteFeed } from "./quote_feed.ts";
import { bump, note, type VenueSummary } from "./summary.ts";
import type { Venue } from "../_shared/exchange/venues.ts";
import type { QuoteStream } from "../_shared/market_data/quote_stream.ts";

export interface VenueBurstContext {
  venue: Venue;
  /** The tables; a LeasedVenueStore in production, so ticks read the venue's state from memory. */
  store: TradeStore;
  client: VenueClient;
  executor: OrderExecutor;
  markets: ReadonlyMap<string, BurstMarket>;
  /** Symbols to trade this burst (already filtered to what the venue lists). */
  symbols: readonly string[];
  /**
   * Symbols to quote: `symbols` plus every symbol the venue holds an active position in, whatever the settings or the
   * request say now (a position is managed until it is closed). Defaults to `symbols`.
   */
  managedSymbols?: readonly string[];
  /** Shared with the paper executor, which fills against it. */
  quotes: Map<string, Quote>;
  clock: Clock;
  settings: BurstSettings;
  /** Today's entries and realized PnL, shared by the burst's venues. */
  daily: DailyTally;
  summary: VenueSummary;
  notFoundGraceMs?: number;
  /** The burst's budget: no new order is recorded or sent after it (the next burst carries on). */
  deadline?: Deadline;
  /** The venue's book-top stream, when market_data = 'stream' (QuoteFeed falls back to polling while it is down). */
  stream?: QuoteStream;
}

/**
 * Waits for every one of a tick's concurrent sends (none is left in flight), then throws the first failure: a
 * failure of one symbol's entry must not leave another's half-recorded while the burst unwinds.
 */
async function settleAll(work: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

export function bandFor(settings: Settings, name: string | null): LatencyBand {
  return settings.latency_bands.find((band) => band.name === name) ?? defensiveBand(settings.latency_bands);
}

export class VenueBurst {
  readonly #quotes: QuoteFeed;
  readonly #positions: PositionKeeper;
  /** Take profit and stop loss resting on the venue for every position that holds something. */
  readonly #protection: ProtectionKeeper;
  readonly #funds: FreeQuoteLedger;
  /** Every order of the burst goes through it: record, send, look up, cancel, refresh. */
  readonly #orders: OrderTracker;
  readonly #retries: ExitRetry;
  #band: LatencyBand | null = null;
  #venueActive = true;

  constructor(private readonly ctx: VenueBurstContext) {
    this.#quotes = new QuoteFeed({ ...ctx, symbols: ctx.managedSymbols ?? ctx.symbols });
    this.#funds = new FreeQuoteLedger(async () => {
      const asset = this.#quoteAsset();
      return (await ctx.executor.freeBalances([asset]))[asset] ?? 0;
    });
    this.#orders = new OrderTracker({
      store: ctx.store,
      executor: ctx.executor,
      clock: ctx.clock,
      notFoundGraceMs: ctx.notFoundGraceMs,
      listener: {
        recorded: () => {
          ctx.summary.orders_sent += 1;
        },
        changed: (order, before) => {
          if (order.filled > before.filled) ctx.summary.fills += 1;
          // Funds moved in a way only the venue knows exactly (exit proceeds, a released reservation): read again.
          if (!isFinalStatus(before.order_status) && isFinalStatus(order.order_status)) {
            const entryFilledInFull = order.purpose === "entry" && order.order_status === "filled";
            if (!entryFilledInFull) this.#funds.invalidate();
          }
        },
        note: (text) => note(ctx.summary, text),
      },
    });
    const budgetSpent = () => this.#budgetSpent();
    this.#positions = new PositionKeeper({
      ...ctx,
      orders: this.#orders,
      budgetSpent,
      fees: new FeeValuation(ctx),
      release: (settled) => this.#protection.release(settled),
    });
    this.#protection = new ProtectionKeeper({
      ...ctx,
      orders: this.#orders,
      advance: (position) => this.#positions.advance(position),
      budgetSpent,
    });
    this.#retries = new ExitRetry({ ...ctx, positions: this.#positions });
  }

  get summary(): VenueSummary {
    return this.ctx.summary;
  }

  /** The quote asset the burst spends (USDT for the configured symbols). */
  #quoteAsset(): string {
    const first = this.ctx.symbols.map((s) => this.ctx.markets.get(s)).find((m) => m !== undefined);
    return first?.paper.quote ?? "USDT";
  }

  #budgetSpent(): boolean {
    return this.ctx.deadline !== undefined && this.ctx.deadline.remainingMs() <= 0;
  }

  /** The venue refused our keys while an order was being placed: stop now that the caller has tidied up. */
  #stopIfNeedsHuman(): void {
    if (this.#orders.needsHuman) throw this.#orders.needsHuman;
  }

  finishSummary(): void {
    this.ctx.summary.orders_by_status = this.#orders.statusCounts();
  }

  async reconcile(): Promise<void> {
    const { store, executor, venue, clock } = this.ctx;
    const settings = this.ctx.settings.current;
    this.ctx.summary.reconcile = await reconcileVenue(store, executor, {
      venue,
      mode: settings.mode,
      now: () => clock.now(),
      graceMs: this.ctx.notFoundGraceMs,
      rulesFor: (symbol) => this.ctx.markets.get(symbol)?.rules,
      onPositionEvent: (result) => this.#positions.count(result),
    });
    // Before anything else: a position left without protection (a crash between fill and protect) gets it now.
    await this.#settleAndProtect(settings);
    const connection = await store.venueConnection(venue);
    this.#band = bandFor(settings, connection.latencyBand);
    this.#venueActive = connection.isActive;
    this.ctx.summary.band = this.#band.name;
    if (!connection.isActive) note(this.ctx.summary, "venue inactive: no new entries; open positions still managed");
  }

  /**
   * One tick. Exchange errors on quotes end the tick early (counted); NeedsHumanError and anything that is not an
   * exchange error propagate.
   */
  async tick(): Promise<void> {
    const { ctx } = this;
    // Off the hot path: nothing here depends on this tick's prices.
    const settings = await ctx.settings.refresh();
    ctx.summary.ticks += 1;
    await this.#orders.refreshWorking(ctx.venue, settings.mode);
    const settled = await this.#settleAndProtect(settings);
    await ctx.daily.current(ctx.clock.now());
    if (settings.trading_enabled && !this.#budgetSpent()) await this.#readFundsIfStale();

    // The hot path: quote → decisions → exits → entries.
    if (!(await this.#quotes.read(settings.momentum_window))) return;
    const active = await this.#manageExits(settings, settled);
    await this.#lookForEntries(settings, active);
  }

  /**
   * After the last tick, while budget remains: refresh the working orders and move positions along once more, so the
   * tables end the burst as fresh as the venue (a tick refreshes before its quote, so fills after that would
   * otherwise wait for the next burst).
   */
  async finishTicks(): Promise<void> {
    if (this.#budgetSpent()) return;
    await this.#orders.refreshWorking(this.ctx.venue, this.ctx.settings.current.mode);
    await this.#settleAndProtect(this.ctx.settings.current);
  }

  /** Positions moved along their fills, then protected on the venue where they hold something. */
  async #settleAndProtect(settings: Settings): Promise<Settled[]> {
    return await this.#protection.ensureAll(await this.#positions.settle(settings), settings);
  }

  /** Today's counters plus the entries this tick decided but has not recorded yet. */
  async #dailyWith(decided: number): Promise<DailyStats> {
    const daily = await this.ctx.daily.current(this.ctx.clock.now());
    return { ...daily, entries: daily.entries + decided };
  }

  /** A failed read leaves entries without a balance this tick (refused as balance_unavailable). */
  async #readFundsIfStale(): Promise<void> {
    try {
      await this.#funds.ensure();
    } catch (error) {
      if (!(error instanceof ExchangeLayerError) || error instanceof NeedsHumanError) throw error;
      note(this.ctx.summary, `tick: balance: ${describeError(error)}`);
    }
  }

  /** Sends the exits this tick's quotes call for, all positions at once. Returns the positions still active. */
  async #manageExits(settings: Settings, settled: readonly Settled[]): Promise<PositionRow[]> {
    const after: (PositionRow | null)[] = settled.map(() => null);
    await settleAll(settled.map((current, i) => this.#manageExit(settings, current).then((p) => after[i] = p)));
    this.#stopIfNeedsHuman();
    return after.filter((p): p is PositionRow => p !== null && isActive(p));
  }

  /** One position's exit decision and exit; returns the position as it ends the tick. */
  async #manageExit(settings: Settings, current: Settled): Promise<PositionRow> {
    let { position, figures } = current;
    const quote = this.ctx.quotes.get(position.symbol);
    if (position.status === "open") {
      const reason = quote ? burstExitReason({ position, figures }, quote, this.ctx.clock.now(), settings) : null;
      if (reason && quote) {
        ({ position, figures } = await this.#positions.exit(position, figures, reason, quote, settings.mode));
      }
    } else if (position.status === "closing" && !figures.liveExit) {
      // A previous exit ended with base still sellable (thin liquidity) or was refused: send another (refused
      // again and again: ExitRetry, with backoff and a flag for a person).
      const reason = position.exit_reason ?? "manual";
      if (figures.rejectedExits >= MAX_REJECTED_EXITS) {
        ({ position, figures } = await this.#retries.step(position, figures, quote, settings.mode));
      } else if (quote) {
        ({ position, figures } = await this.#positions.exit(position, figures, reason, quote, settings.mode));
      }
    }
    return position;
  }

  async #lookForEntries(settings: Settings, active: PositionRow[]): Promise<void> {
    const { ctx } = this;
    const s = ctx.summary;
    const band = this.#band ?? bandFor(settings, null);
    const busySymbols = new Set(active.map((p) => p.symbol));
    let openPositions = active.length;
    /** Entries decided this tick, not yet in today's counters (those move once each position row is written). */
    let decidedEntries = 0;
    const entries: Promise<void>[] = [];

    for (const symbol of ctx.symbols) {
      // An entry started now could not be followed up inside the budget.
      if (this.#budgetSpent()) break;
      const quote = ctx.quotes.get(symbol);
      const market = ctx.markets.get(symbol);
      if (!quote || !market) continue;
      if (busySymbols.has(symbol)) {
        bump(s.signals.skipped, "position_open");
        continue;
      }
      const decision = decideEntry({
        quote,
        buffer: this.#quotes.momentum(symbol),
        band,
        settings,
        // Memory only: the day's counters were read before the quote (a new UTC day reads them again).
        daily: await this.#dailyWith(decidedEntries),
        freeQuote: this.#funds.free,
        openPositions,
        rules: market.rules,
        venueActive: this.#venueActive,
      });
      s.signals.evaluated += 1;
      if (decision.action !== "enter") {
        bump(decision.action === "skip" ? s.signals.skipped : s.refusals, decision.reason);
        continue;
      }
      s.signals.entries += 1;
      // Counted at the decision, so the next symbol's decision sees it (and the other venue's, for the global
      // open-position limit): the entries go out together below.
      ctx.daily.reserveOpen();
      decidedEntries += 1;
      openPositions += 1;
      busySymbols.add(symbol);
      // What the venue will hold for it; a refused entry makes the balance stale (the tracker's listener).
      this.#funds.reserve(decision.amount * decision.price);
      entries.push(this.#enter(symbol, decision.price, decision.amount, settings));
    }
    await settleAll(entries);
    this.#stopIfNeedsHuman();
  }

  /**
   * One entry: the position row (the order row refers to it), the order row, the order, then its first fill and,
   * once it holds something, its protection on the venue.
   */
  async #enter(symbol: string, price: number, amount: number, settings: Settings): Promise<void> {
    const { ctx } = this;
    const position = await ctx.store.insertPosition({
      venue: ctx.venue,
      symbol,
      mode: settings.mode,
      opened_at: ctx.clock.now().toISOString(),
    });
    ctx.daily.recordEntry(position);
    const order = await this.#orders.place({
      venue: ctx.venue,
      symbol,
      side: "buy",
      type: "limit",
      price,
      amount,
      purpose: "entry",
      position_id: position.id,
      mode: settings.mode,
    });
    if (order.order_status === "rejected") ctx.daily.recordRefused(position);
    await this.#protection.ensure(await this.#positions.advance(position), settings);
  }
}
