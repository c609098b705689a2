/**
 * One venue's burst: reconcile, then ticks until the time budget is spent. Each tick fetches every symbol's quote
 * in one request, refreshes working orders, moves positions along (entry timeouts, exits), then looks for entries.
 * Everything a decision depends on is read from the tables on that tick; only momentum mids live in memory.
 */
import type { Clock } from "../clock.ts";
import { describeError, ExchangeLayerError, FinalExchangeError, isNotSentError, NeedsHumanError } from "../errors.ts";
import type { VenueClient } from "../exchange/venue_client.ts";
import type { OrderExecutor } from "../orders/executor.ts";
import { applyExchangeOrder, markOrder, recordIntent } from "../orders/order_book.ts";
import { advancePosition, type PositionFigures } from "../orders/positions.ts";
import { reconcileVenue, refreshOrder } from "../orders/reconcile.ts";
import type { TradeStore } from "../orders/store.ts";
import { newClientOrderId } from "../orders/client_order_id.ts";
import {
  ACTIVE_POSITION_STATUSES,
  type ExitReason,
  type OrderIntent,
  type OrderRow,
  type PositionRow,
  type Venue,
} from "../orders/types.ts";
import { defensiveBand } from "../latency/bands.ts";
import type { Deadline } from "../retry.ts";
import type { LatencyBand, Settings } from "../settings.ts";
import { checkEntryRisk } from "../trading/risk.ts";
import {
  evaluateSignal,
  isUsableQuote,
  midPrice,
  MomentumBuffers,
  momentumKey,
  type Quote,
} from "../trading/signal.ts";
import { decideExit, shouldCancelEntry } from "../trading/exits.ts";
import { prepareBuy, prepareSell } from "../trading/precision.ts";
import type { BurstMarket } from "./markets.ts";
import { bump, note, type VenueSummary } from "./summary.ts";

/** A closing position whose exit orders keep being refused needs a person, not a retry every tick. */
export const MAX_REJECTED_EXITS = 3;

export interface VenueBurstContext {
  venue: Venue;
  store: TradeStore;
  client: VenueClient;
  executor: OrderExecutor;
  markets: ReadonlyMap<string, BurstMarket>;
  /** Symbols to trade this burst (already filtered to what the venue lists). */
  symbols: readonly string[];
  /** Shared with the paper executor, which fills against it. */
  quotes: Map<string, Quote>;
  clock: Clock;
  loadSettings: () => Promise<Settings>;
  summary: VenueSummary;
  notFoundGraceMs?: number;
  /** The burst's budget: no new order is recorded or sent after it (the next burst carries on). */
  deadline?: Deadline;
}

/** 00:00 UTC of `now`'s day: daily counters start here. */
export function utcDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export function bandFor(settings: Settings, name: string | null): LatencyBand {
  return settings.latency_bands.find((band) => band.name === name) ?? defensiveBand(settings.latency_bands);
}

export class VenueBurst {
  readonly #momentum = new MomentumBuffers();
  /** Latest status of every order this burst touched, for the summary. */
  readonly #touched = new Map<string, string>();
  #band: LatencyBand | null = null;

  constructor(private readonly ctx: VenueBurstContext) {}

  get summary(): VenueSummary {
    return this.ctx.summary;
  }

  #budgetSpent(): boolean {
    return this.ctx.deadline !== undefined && this.ctx.deadline.remainingMs() <= 0;
  }

  #track(order: OrderRow, before?: OrderRow): void {
    this.#touched.set(order.id, order.order_status);
    if (before && order.filled > before.filled) this.ctx.summary.fills += 1;
  }

  finishSummary(): void {
    const counts: Record<string, number> = {};
    for (const status of this.#touched.values()) bump(counts, status);
    this.ctx.summary.orders_by_status = counts;
  }

  async reconcile(): Promise<void> {
    const { store, executor, venue, clock } = this.ctx;
    const settings = await this.ctx.loadSettings();
    this.ctx.summary.reconcile = await reconcileVenue(store, executor, {
      venue,
      mode: settings.mode,
      now: () => clock.now(),
      graceMs: this.ctx.notFoundGraceMs,
      rulesFor: (symbol) => this.ctx.markets.get(symbol)?.rules,
    });
    this.#band = bandFor(settings, await store.latencyBandName(venue));
    this.ctx.summary.band = this.#band.name;
  }

  /** One tick. Exchange errors on quotes end the tick early (counted); anything else propagates. */
  async tick(): Promise<void> {
    const { ctx } = this;
    const settings = await ctx.loadSettings();
    ctx.summary.ticks += 1;
    try {
      const fresh = await ctx.client.fetchQuotes(ctx.symbols);
      for (const symbol of ctx.symbols) {
        const q = fresh[symbol];
        const quote = q && q.bid !== null && q.ask !== null ? { bid: q.bid, ask: q.ask } : null;
        if (quote && isUsableQuote(quote)) {
          ctx.quotes.set(symbol, quote);
          this.#momentum.observe(momentumKey(ctx.venue, symbol), midPrice(quote), settings.momentum_window);
        } else {
          ctx.quotes.delete(symbol);
        }
      }
    } catch (error) {
      if (!(error instanceof ExchangeLayerError)) throw error;
      ctx.summary.quote_errors += 1;
      note(ctx.summary, `quotes: ${describeError(error)}`);
      ctx.quotes.clear();
    }
    await this.#refreshOrders(settings);
    const active = await this.#managePositions(settings);
    await this.#lookForEntries(settings, active);
  }

  async #refreshOrders(settings: Settings): Promise<void> {
    const { store, executor, venue, clock } = this.ctx;
    for (const order of await store.listNonFinalOrders(venue, settings.mode)) {
      const result = await refreshOrder(store, executor, order, {
        now: clock.now(),
        graceMs: this.ctx.notFoundGraceMs,
      });
      if (result.note !== "unchanged" && result.note !== "not_found_yet") this.#track(result.order, order);
      if (result.detail) note(this.ctx.summary, `${order.client_order_id}: ${result.detail}`);
    }
  }

  async #loadPositions(settings: Settings): Promise<{ positions: PositionRow[]; orders: OrderRow[] }> {
    const positions = await this.ctx.store.listPositions(this.ctx.venue, settings.mode, ACTIVE_POSITION_STATUSES);
    const orders = positions.length > 0 ? await this.ctx.store.listOrdersOfPositions(positions.map((p) => p.id)) : [];
    return { positions, orders };
  }

  async #advance(position: PositionRow, orders: readonly OrderRow[]) {
    const { clock } = this.ctx;
    const market = this.ctx.markets.get(position.symbol);
    const result = await advancePosition(this.ctx.store, position, orders, {
      rules: market?.rules,
      referencePrice: this.ctx.quotes.get(position.symbol)?.bid ?? null,
      now: clock.now(),
    });
    const s = this.ctx.summary;
    if (result.event === "opened") s.positions_opened += 1;
    if (result.event === "failed") s.positions_failed += 1;
    if (result.event === "closed") {
      s.positions_closed += 1;
      s.realized_pnl += result.position.realized_pnl ?? 0;
      bump(s.exits_by_reason, result.position.exit_reason ?? "unknown");
    }
    if (result.note) note(s, `position ${position.id}: ${result.note}`);
    return result;
  }

  /** Advances every active position, cancels stale entries, sends exits. Returns the positions still active. */
  async #managePositions(settings: Settings): Promise<PositionRow[]> {
    const { positions, orders } = await this.#loadPositions(settings);
    const stillActive: PositionRow[] = [];
    for (const initial of positions) {
      let { position, figures } = await this.#advance(initial, orders);
      if (position.status === "opening" && figures.liveEntry) {
        const entry = figures.liveEntry;
        if (shouldCancelEntry(entry.created_at, this.ctx.clock.now(), settings)) {
          await this.#cancel(entry);
          ({ position, figures } = await this.#advance(position, await this.#ordersOf(position)));
        }
      }
      if (position.status === "open") {
        const quote = this.ctx.quotes.get(position.symbol);
        const reason = quote && position.entry_avg_px
          ? decideExit(
            { entry_avg_px: position.entry_avg_px, opened_at: position.opened_at },
            quote,
            this.ctx.clock.now(),
            settings,
          )
          : null;
        if (reason && quote) ({ position, figures } = await this.#exit(position, figures, reason, quote));
      } else if (position.status === "closing" && !figures.liveExit) {
        // A previous exit ended with base still sellable (thin liquidity) or was refused: send another.
        const quote = this.ctx.quotes.get(position.symbol);
        if (figures.rejectedExits >= MAX_REJECTED_EXITS) {
          note(this.ctx.summary, `position ${position.id}: ${figures.rejectedExits} exits refused; needs a person`);
        } else if (quote) {
          ({ position, figures } = await this.#exit(position, figures, position.exit_reason ?? "manual", quote));
        }
      }
      if (position.status === "opening" || position.status === "open" || position.status === "closing") {
        stillActive.push(position);
      }
    }
    return stillActive;
  }

  async #ordersOf(position: PositionRow): Promise<OrderRow[]> {
    return await this.ctx.store.listOrdersOfPositions([position.id]);
  }

  async #cancel(order: OrderRow): Promise<void> {
    const { store, executor, clock } = this.ctx;
    try {
      const view = await executor.cancel(order);
      if (view === null) {
        this.#track(
          await markOrder(store, order, "expired", "cancel: the venue does not know this order", clock.now()),
        );
        return;
      }
      const applied = await applyExchangeOrder(store, order, view, clock.now());
      if ("ignored" in applied) note(this.ctx.summary, `${order.client_order_id}: ${applied.ignored}`);
      this.#track(applied.order, order);
    } catch (error) {
      if (!(error instanceof ExchangeLayerError)) throw error;
      note(this.ctx.summary, `cancel ${order.client_order_id}: ${describeError(error)}`);
    }
  }

  /** Sends a market sell of everything sellable (held after base-asset fees, floored to the lot step). */
  async #exit(
    position: PositionRow,
    figures: PositionFigures,
    reason: ExitReason,
    quote: Quote,
  ): Promise<{ position: PositionRow; figures: PositionFigures }> {
    const { store, clock } = this.ctx;
    const market = this.ctx.markets.get(position.symbol);
    if (position.status !== "closing") {
      position = await store.updatePosition(position.id, { status: "closing", exit_reason: reason }, clock.now());
    }
    if (!market) return { position, figures };
    const prepared = prepareSell({ quantity: figures.heldQty, price: quote.bid, priceRounding: "down" }, market.rules);
    if (this.#budgetSpent()) {
      // The position stays `closing`; the next burst sends the exit with fresh quotes.
      note(this.ctx.summary, `position ${position.id}: exit left to the next burst (time budget spent)`);
    } else if (prepared.ok) {
      const settings = await this.ctx.loadSettings();
      await this.#submit({
        client_order_id: newClientOrderId(clock.now().getTime()),
        venue: this.ctx.venue,
        symbol: position.symbol,
        side: "sell",
        type: "market",
        price: null,
        amount: prepared.amount,
        purpose: "exit",
        position_id: position.id,
        mode: settings.mode,
      });
    } else {
      note(this.ctx.summary, `position ${position.id}: exit ${prepared.reason} (held ${figures.heldQty})`);
    }
    // Market exits usually finish at once: close the position in the same tick when they did.
    return await this.#advance(position, await this.#ordersOf(position));
  }

  /**
   * Records the order, then sends it once. The venue saying no is final (rejected, with its reason). Any other
   * failure leaves the outcome unknown: the order is looked up by client order id, never sent again.
   */
  async #submit(intent: OrderIntent): Promise<OrderRow> {
    const { store, executor, clock } = this.ctx;
    const recorded = await recordIntent(store, intent, clock.now());
    this.ctx.summary.orders_sent += 1;
    this.#track(recorded);
    let view;
    try {
      view = await executor.create(recorded);
    } catch (error) {
      const reason = `create: ${describeError(error)}`;
      note(this.ctx.summary, `${recorded.client_order_id}: ${reason}`);
      // The venue said no, or the request never left (breaker open, budget spent): final, nothing to look up.
      if (error instanceof FinalExchangeError || error instanceof NeedsHumanError || isNotSentError(error)) {
        const rejected = await markOrder(store, recorded, "rejected", reason, clock.now());
        this.#track(rejected);
        return rejected;
      }
      const unknown = await markOrder(store, recorded, "unknown", reason, clock.now());
      this.#track(unknown);
      if (!(error instanceof ExchangeLayerError)) throw error;
      const found = await refreshOrder(store, executor, unknown, {
        now: clock.now(),
        graceMs: this.ctx.notFoundGraceMs,
      });
      this.#track(found.order, unknown);
      return found.order;
    }
    const applied = await applyExchangeOrder(store, recorded, view, clock.now());
    if ("ignored" in applied) note(this.ctx.summary, `${recorded.client_order_id}: ${applied.ignored}`);
    this.#track(applied.order, recorded);
    return applied.order;
  }

  async #lookForEntries(settings: Settings, active: PositionRow[]): Promise<void> {
    const { ctx } = this;
    const s = ctx.summary;
    const band = this.#band ?? bandFor(settings, null);
    const now = ctx.clock.now();
    const daily = await ctx.store.dailyStats(settings.mode, utcDayStart(now));
    const busySymbols = new Set(active.map((p) => p.symbol));
    let openPositions = active.length;
    let freeQuote: number | null = null;

    for (const symbol of ctx.symbols) {
      // An entry started now could not be followed up inside the budget.
      if (this.#budgetSpent()) break;
      const quote = ctx.quotes.get(symbol);
      const market = ctx.markets.get(symbol);
      if (!quote || !market) continue;
      const buffer = this.#momentum.get(momentumKey(ctx.venue, symbol));
      if (busySymbols.has(symbol)) {
        bump(s.signals.skipped, "position_open");
        continue;
      }
      // Size against an unbounded balance first: the balance is only fetched when a signal actually fires.
      const probe = evaluateSignal(quote, buffer, band, settings, {
        dailyPnl: daily.realizedPnl,
        freeQuote: Number.MAX_SAFE_INTEGER,
      });
      s.signals.evaluated += 1;
      if (probe.action === "skip") {
        bump(s.signals.skipped, probe.reason ?? "skip");
        continue;
      }
      if (freeQuote === null) {
        const quoteAsset = market.paper.quote;
        freeQuote = (await ctx.executor.freeBalances([quoteAsset]))[quoteAsset] ?? 0;
      }
      const decision = evaluateSignal(quote, buffer, band, settings, { dailyPnl: daily.realizedPnl, freeQuote });
      if (decision.action === "skip") {
        bump(s.refusals, decision.reason ?? "skip");
        continue;
      }
      const risk = checkEntryRisk({
        tradingEnabled: settings.trading_enabled,
        tradesToday: daily.entries,
        realizedPnlToday: daily.realizedPnl,
        openPositions,
        freeQuote,
        orderUsd: decision.size_usd,
      }, settings);
      if (!risk.allow) {
        bump(s.refusals, risk.reason);
        continue;
      }
      // A limit at the mid (floored to the tick): inside a wide spread, filled when the ask comes down to it.
      const prepared = prepareBuy({ sizeUsd: decision.size_usd, price: midPrice(quote) }, market.rules);
      if (!prepared.ok) {
        bump(s.refusals, prepared.reason);
        continue;
      }
      s.signals.entries += 1;
      const position = await ctx.store.insertPosition({
        venue: ctx.venue,
        symbol,
        mode: settings.mode,
        opened_at: ctx.clock.now().toISOString(),
      });
      await this.#submit({
        client_order_id: newClientOrderId(ctx.clock.now().getTime()),
        venue: ctx.venue,
        symbol,
        side: "buy",
        type: "limit",
        price: prepared.price,
        amount: prepared.amount,
        purpose: "entry",
        position_id: position.id,
        mode: settings.mode,
      });
      const result = await this.#advance(position, await this.#ordersOf(position));
      freeQuote = null;
      if (result.position.status === "failed") continue;
      // Counters move with what we just did; the next tick re-reads them from the tables.
      openPositions += 1;
      daily.entries += 1;
      busySymbols.add(symbol);
    }
  }
}
