/**
 * The protection side of a venue's burst: every position that holds something gets a take profit and a stop loss on
 * the venue (protection.ts decides them), resized when more of the entry fills, repaired when a leg is missing (a
 * crash between the entry's fill and the protection, a lone leg whose sibling the venue cancelled), and released
 * (legs cancelled) before the burst sends an exit of its own, so the venue never sells the same base twice.
 *
 * Off when settings.exit_protection is false or the executor cannot place protection: the burst then decides every
 * exit itself, as before. A position whose protection the venue refused MAX_REFUSED_PROTECTIONS times is left to the
 * burst's exits too. The trading switch plays no part here: stopping trading never removes protection.
 */
import type { OrderExecutor } from "../_shared/orders/executor.ts";
import type { OrderTracker } from "../_shared/orders/order_tracker.ts";
import {
  MAX_REFUSED_PROTECTIONS,
  planProtection,
  protectionCovers,
  refusedProtections,
} from "../_shared/orders/protection.ts";
import type { PositionRow } from "../_shared/orders/types.ts";
import type { Settings } from "../_shared/settings.ts";
import type { Venue } from "../_shared/exchange/venues.ts";
import type { BurstMarket } from "./markets.ts";
import { isActive, type Settled } from "./position_keeper.ts";
import { settleEach } from "./settle_all.ts";
import { bump, note, type VenueSummary } from "./summary.ts";

export interface ProtectionKeeperContext {
  venue: Venue;
  executor: OrderExecutor;
  markets: ReadonlyMap<string, BurstMarket>;
  summary: VenueSummary;
  orders: OrderTracker;
  /** Moves a position along its orders again (PositionKeeper.advance). */
  advance: (position: PositionRow) => Promise<Settled>;
  budgetSpent: () => boolean;
}

export function protectionEnabled(settings: Settings, executor: OrderExecutor): boolean {
  return settings.exit_protection && executor.createProtection !== undefined;
}

export class ProtectionKeeper {
  /** Positions already noted as unprotectable this burst (one line each, not one a tick). */
  readonly #noted = new Set<string>();

  constructor(private readonly ctx: ProtectionKeeperContext) {}

  /**
   * Protects every position of `settled` that needs it, all positions at once (each its own rows and its own list on
   * the venue: two fills in one update wait for one round trip, not two); returns them as they are afterwards.
   */
  async ensureAll(settled: readonly Settled[], settings: Settings): Promise<Settled[]> {
    const after = await settleEach(settled, (current) => this.ensure(current, settings));
    return after.filter((s) => isActive(s.position));
  }

  /**
   * Whether `ensure` would place, resize or repair this position's protection now (no call: decided from memory).
   * A position that cannot be protected is noted once.
   */
  needs(current: Settled, settings: Settings): boolean {
    const { ctx } = this;
    if (!protectionEnabled(settings, ctx.executor) || ctx.budgetSpent()) return false;
    const { position, figures } = current;
    const holds = position.status === "open" || (position.status === "opening" && figures.heldQty > 0);
    const market = ctx.markets.get(position.symbol);
    if (!holds || !market) return false;
    if (refusedProtections(figures) >= MAX_REFUSED_PROTECTIONS) {
      this.#noteOnce(position, `protection refused ${MAX_REFUSED_PROTECTIONS} times; the burst decides its exits`);
      return false;
    }
    const planned = planProtection(figures.pnl.entry.avgPrice, figures.heldQty, settings, market.rules);
    if (!planned.ok) {
      this.#noteOnce(position, `cannot be protected: ${planned.reason}`);
      return false;
    }
    return !protectionCovers(figures, planned.plan);
  }

  /** Places, resizes or repairs one position's protection so it covers exactly what the position holds. */
  async ensure(current: Settled, settings: Settings): Promise<Settled> {
    if (!this.needs(current, settings)) return current;
    const { ctx } = this;
    const { position, figures } = current;
    const market = ctx.markets.get(position.symbol);
    if (!market) return current;
    let now = current;
    if (figures.liveProtection.length > 0) {
      now = await this.#releaseAndAdvance(current);
      if (now.figures.liveProtection.length > 0 || !isActive(now.position)) return now;
      bump(this.#counts(), "replaced");
    }
    // What is held now (a leg may have sold while it was being cancelled).
    const replanned = planProtection(now.figures.pnl.entry.avgPrice, now.figures.heldQty, settings, market.rules);
    if (!replanned.ok) return now;
    const { plan } = replanned;
    const leg = { venue: ctx.venue, symbol: position.symbol, side: "sell" as const, amount: plan.amount };
    const legs = await ctx.orders.placeProtection(
      {
        ...leg,
        type: "limit",
        price: plan.takeProfitPrice,
        purpose: "take_profit",
        position_id: position.id,
        mode: position.mode,
      },
      {
        ...leg,
        type: "stop",
        price: plan.stopLimit,
        trigger_price: plan.stopTrigger,
        purpose: "stop_loss",
        position_id: position.id,
        mode: position.mode,
      },
    );
    bump(this.#counts(), legs.takeProfit.order_status === "rejected" ? "refused" : "placed");
    return await ctx.advance(now.position);
  }

  /**
   * Cancels the position's live legs before the burst sells it itself. Returns the position moved along afterwards;
   * legs still live in it (a cancel the venue did not confirm) mean the burst must not sell this tick.
   */
  async release(current: Settled): Promise<Settled> {
    if (current.figures.liveProtection.length === 0) return current;
    const after = await this.#releaseAndAdvance(current);
    bump(this.#counts(), "released");
    if (after.figures.liveProtection.length > 0) {
      note(this.ctx.summary, `position ${current.position.id}: protection not cancelled yet; exit waits for it`);
    }
    return after;
  }

  async #releaseAndAdvance(current: Settled): Promise<Settled> {
    for (const leg of current.figures.liveProtection) await this.ctx.orders.cancel(leg);
    return await this.ctx.advance(current.position);
  }

  #counts() {
    return this.ctx.summary.protection ??= {};
  }

  #noteOnce(position: PositionRow, text: string): void {
    if (this.#noted.has(position.id)) return;
    this.#noted.add(position.id);
    note(this.ctx.summary, `position ${position.id}: ${text}`);
  }
}
