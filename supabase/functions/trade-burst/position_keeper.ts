/**
 * The position side of a venue's burst: moves positions along their orders' fills (positions.ts does the
 * arithmetic), cancels entries that waited too long, sends the exits the burst decided on, and keeps the summary and
 * today's counters in step with what happened: opened, failed, closed.
 */
import type { Clock } from "../_shared/clock.ts";
import type { OrderTracker } from "../_shared/orders/order_tracker.ts";
import { advancePosition, type AdvanceResult, type PositionFigures } from "../_shared/orders/positions.ts";
import type { TradeStore } from "../_shared/orders/store.ts";
import { ACTIVE_POSITION_STATUSES, type ExitReason, type OrderRow, type PositionRow } from "../_shared/orders/types.ts";
import type { Settings, TradingMode } from "../_shared/settings.ts";
import { decideExit, shouldCancelEntry } from "../_shared/trading/exits.ts";
import { prepareSell } from "../_shared/trading/precision.ts";
import type { Quote } from "../_shared/trading/quote.ts";
import type { DailyTally } from "./daily_tally.ts";
import type { FeeValuation } from "./fee_valuation.ts";
import type { BurstMarket } from "./markets.ts";
import { settleEach } from "./settle_all.ts";
import { bump, note, type VenueSummary } from "./summary.ts";
import type { Venue } from "../_shared/exchange/venues.ts";

export interface Settled {
  position: PositionRow;
  figures: PositionFigures;
}

export interface PositionKeeperContext {
  venue: Venue;
  store: TradeStore;
  markets: ReadonlyMap<string, BurstMarket>;
  quotes: ReadonlyMap<string, Quote>;
  clock: Clock;
  daily: DailyTally;
  summary: VenueSummary;
  /** Exit orders go through it like every other order. */
  orders: OrderTracker;
  /** True once the burst's budget is spent: no exit is sent after it. */
  budgetSpent: () => boolean;
  /** Cancels the position's protection on the venue before an exit of ours (ProtectionKeeper.release). */
  release?: (settled: Settled) => Promise<Settled>;
  /** Values fees charged in a third currency (BNB) before the figures are computed. */
  fees?: FeeValuation;
  /**
   * True while the venue's order stream is up: an entry's cancel then waits for the order's pushed update (what filled
   * before it) instead of a look-up.
   */
  orderStreamUp?: () => boolean;
}

/** How long a cancelled entry waits for its pushed outcome before it is cancelled again and looked up. */
export const CANCEL_OUTCOME_WAIT_MS = 2_000;

/**
 * The exit the burst itself makes for an open position on this quote: exits.ts's decision, except that price exits
 * are the venue's while protection rests there (the time stop stays ours).
 */
export function burstExitReason(current: Settled, quote: Quote, now: Date, settings: Settings): ExitReason | null {
  const { position, figures } = current;
  if (!position.entry_avg_px) return null;
  const reason = decideExit(position as { entry_avg_px: number; opened_at: string }, quote, now, settings);
  return reason !== "time_stop" && figures.liveProtection.length > 0 ? null : reason;
}

export function isActive(position: PositionRow): boolean {
  return position.status === "opening" || position.status === "open" || position.status === "closing";
}

export class PositionKeeper {
  constructor(private readonly ctx: PositionKeeperContext) {}

  /** Keeps today's counters in step with what happened to a position (reconcile reports its events here too). */
  count(result: AdvanceResult): void {
    // A failed position's entry was sent (or refused, which the burst counts when it happens): it stays counted.
    if (result.event === "failed" || result.event === "closed") this.ctx.daily.recordEnded();
    if (result.event === "closed") this.ctx.daily.recordClosed(result.position);
  }

  /** Every active position of the venue and mode, with the orders that belong to them. */
  async listActive(mode: TradingMode): Promise<{ positions: PositionRow[]; orders: OrderRow[] }> {
    const { store, venue } = this.ctx;
    const positions = await store.listPositions(venue, mode, ACTIVE_POSITION_STATUSES);
    const orders = positions.length > 0 ? await store.listOrdersOfPositions(positions.map((p) => p.id)) : [];
    return { positions, orders };
  }

  /** Applies the position's fills (its orders read again unless given) and counts what happened. */
  async advance(position: PositionRow, orders?: readonly OrderRow[]): Promise<Settled> {
    const { ctx } = this;
    const own = orders ?? await ctx.store.listOrdersOfPositions([position.id]);
    const result = await advancePosition(
      ctx.store,
      position,
      ctx.fees ? await ctx.fees.value(own.filter((o) => o.position_id === position.id)) : own,
      {
        rules: ctx.markets.get(position.symbol)?.rules,
        referencePrice: ctx.quotes.get(position.symbol)?.bid ?? null,
        now: ctx.clock.now(),
      },
    );
    this.count(result);
    const s = ctx.summary;
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

  /**
   * Moves every active position along its fills and cancels entries past their timeout (none of it needs a price).
   * Returns the positions still active, with their figures.
   */
  async settle(settings: Settings): Promise<Settled[]> {
    const { positions, orders } = await this.listActive(settings.mode);
    // Each position on its own: entries that time out together are cancelled together (a cancel, and a look-up where
    // no push will say how the order ended), not one venue round trip after another while the tick's decisions wait.
    const after = await settleEach(positions, (position) => this.#settleOne(position, orders, settings));
    return after.filter(({ position }) => isActive(position));
  }

  async #settleOne(initial: PositionRow, orders: readonly OrderRow[], settings: Settings): Promise<Settled> {
    let { position, figures } = await this.advance(initial, orders);
    const entry = figures.liveEntry;
    if (position.status === "opening" && entry && shouldCancelEntry(entry.created_at, this.ctx.clock.now(), settings)) {
      const tracker = this.ctx.orders;
      const waited = tracker.cancelRequestedMsAgo(entry);
      if (waited !== undefined && waited < CANCEL_OUTCOME_WAIT_MS) return { position, figures };
      if (waited !== undefined) {
        note(this.ctx.summary, `${entry.client_order_id}: no pushed outcome ${Math.round(waited)} ms after its cancel`);
      }
      // Cancelled once more if the push never came: a second cancel is harmless, and its outcome is looked up.
      await tracker.cancel(entry, { outcomeByPush: waited === undefined && (this.ctx.orderStreamUp?.() ?? false) });
      if (tracker.cancelRequestedMsAgo(entry) !== undefined) return { position, figures };
      ({ position, figures } = await this.advance(position));
    }
    return { position, figures };
  }

  /**
   * Sends a market sell of everything sellable (held after base-asset fees, floored to the lot step). Protection
   * resting on the venue is cancelled first; while a leg is still live the sell waits (the venue could sell the same
   * base), the position marked `closing` so the next tick tries again.
   */
  async exit(
    position: PositionRow,
    figures: PositionFigures,
    reason: ExitReason,
    quote: Quote,
    mode: TradingMode,
  ): Promise<Settled> {
    const { store, clock } = this.ctx;
    if (figures.liveProtection.length > 0 && this.ctx.release) {
      ({ position, figures } = await this.ctx.release({ position, figures }));
      if (!isActive(position)) return { position, figures };
      if (figures.liveProtection.length > 0) {
        if (position.status !== "closing") {
          position = await store.updatePosition(position.id, { status: "closing", exit_reason: reason }, clock.now());
        }
        return { position, figures };
      }
    }
    const market = this.ctx.markets.get(position.symbol);
    const markClosing = () =>
      position.status === "closing"
        ? Promise.resolve(position)
        : store.updatePosition(position.id, { status: "closing", exit_reason: reason }, clock.now());
    const prepared = market
      ? prepareSell({ quantity: figures.heldQty, price: quote.bid, priceRounding: "down" }, market.rules)
      : null;
    if (!market || !prepared) return { position: await markClosing(), figures };
    if (this.ctx.budgetSpent()) {
      position = await markClosing();
      // The position stays `closing`; the next burst sends the exit with fresh quotes.
      note(this.ctx.summary, `position ${position.id}: exit left to the next burst (time budget spent)`);
    } else if (prepared.ok) {
      // Both rows must be written before the order leaves (a crash after the send finds the position closing and
      // the order recorded); they are different rows, so they go in parallel.
      const [closing, recorded] = await Promise.all([
        markClosing(),
        this.ctx.orders.track({
          venue: this.ctx.venue,
          symbol: position.symbol,
          side: "sell",
          type: "market",
          price: null,
          amount: prepared.amount,
          purpose: "exit",
          position_id: position.id,
          mode: mode,
        }),
      ]);
      position = closing;
      await this.ctx.orders.send(recorded);
    } else {
      position = await markClosing();
      note(this.ctx.summary, `position ${position.id}: exit ${prepared.reason} (held ${figures.heldQty})`);
    }
    // Market exits usually finish at once: close the position in the same tick when they did.
    return await this.advance(position);
  }
}
