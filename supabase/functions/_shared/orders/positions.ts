/**
 * Positions follow their orders: every figure on a position (quantities, average prices, fees, realized PnL) is
 * recomputed from the fills of its entry and exit orders (pnl.ts), never carried forward by hand.
 *
 * opening --entry final with a fill--> open --exit decided--> closing --nothing sellable left--> closed
 * opening --entry final without a fill--> failed
 * A `closing` position whose exit order ended with base still sellable (an IOC exit that met thin liquidity) stays
 * `closing`; the burst sends another exit for the rest.
 * Protection legs (take_profit / stop_loss, resting on the venue) are exits too: an `open` position whose legs filled
 * while no burst ran closes straight from `open`, its exit reason the purpose of the leg that sold.
 */
import { type MarketRules, prepareSell } from "../trading/precision.ts";
import type { FillLike, RealizedPnl } from "../trading/pnl.ts";
import { RealizedPnlMemo } from "../trading/pnl_memo.ts";
import { isFinalStatus } from "../trading/lifecycle.ts";
import { mul, toNumber } from "../trading/decimal.ts";
import type { TradeStore } from "./store.ts";
import {
  byCreated,
  type DustPriceSource,
  isProtectionLeg,
  type OrderRow,
  type PositionPatch,
  type PositionRow,
  type TradeLogRow,
} from "./types.ts";

export interface PositionFigures {
  entryOrders: OrderRow[];
  exitOrders: OrderRow[];
  /** The entry order still working at the venue, if any. */
  liveEntry: OrderRow | undefined;
  liveExit: OrderRow | undefined;
  /** Protection legs still working at the venue (take_profit / stop_loss). */
  liveProtection: OrderRow[];
  /** Every protection leg ever placed for the position. */
  protectionOrders: OrderRow[];
  /** The newest exit order (its id and status go to trade_logs). */
  lastExit: OrderRow | undefined;
  rejectedExits: number;
  pnl: RealizedPnl;
  /** Base still held: entry fills net of base fees, minus what the exits took. */
  heldQty: number;
}

/** The columns fillOf reads (the dashboards value positions from rows they read with these). */
export type FilledOrderLike = Pick<
  OrderRow,
  "symbol" | "filled" | "average" | "cost" | "fee_cost" | "fee_currency" | "fee_rate_used"
>;

/**
 * One order's fills as a single fill at its average price (fees summed per order). A fee in a third currency (BNB)
 * counts at the rate recorded on the order (fee_rate_used, its price in quote); without a rate it is left out of the
 * figures (unvalued, still on the row), so the position is managed all the same (issue 14).
 */
export function fillOf(order: FilledOrderLike): FillLike | null {
  if (!(order.filled > 0)) return null;
  const price = order.average ?? (order.cost > 0 ? order.cost / order.filled : null);
  if (price === null || !(price > 0)) return null;
  return { price, amount: order.filled, fee: feeOf(order) };
}

/** The fee currency when it is neither the order's base nor its quote (a BNB fee), else null. */
export function thirdFeeCurrency(order: Pick<OrderRow, "symbol" | "fee_cost" | "fee_currency">): string | null {
  if (!order.fee_cost || !order.fee_currency) return null;
  const [base, quote] = order.symbol.split("/");
  const currency = order.fee_currency.toUpperCase();
  return currency === base || currency === quote ? null : currency;
}

function feeOf(order: FilledOrderLike): FillLike["fee"] {
  if (!order.fee_cost) return null;
  if (thirdFeeCurrency(order) === null) return { cost: order.fee_cost, currency: order.fee_currency };
  const rate = order.fee_rate_used;
  if (rate === null || rate === undefined || !(rate >= 0)) return null;
  return { cost: order.fee_cost * rate, currency: order.symbol.split("/")[1] };
}

/** Shared by every position of the isolate: its answers depend only on the fills. */
const pnlMemo = new RealizedPnlMemo();

export function positionFigures(position: Pick<PositionRow, "id" | "symbol">, orders: readonly OrderRow[]) {
  const mine = orders.filter((o) => o.position_id === position.id).sort(byCreated);
  const entryOrders = mine.filter((o) => o.purpose === "entry");
  // Every sell of the position: market exits and protection legs alike.
  const exitOrders = mine.filter((o) => o.purpose !== "entry");
  const protectionOrders = exitOrders.filter(isProtectionLeg);
  const fills = (list: OrderRow[]) => list.map(fillOf).filter((f): f is FillLike => f !== null);
  const pnl = pnlMemo.of(position.symbol, fills(entryOrders), fills(exitOrders));
  return {
    entryOrders,
    exitOrders,
    liveEntry: entryOrders.find((o) => !isFinalStatus(o.order_status)),
    liveExit: exitOrders.find((o) => o.purpose === "exit" && !isFinalStatus(o.order_status)),
    liveProtection: protectionOrders.filter((o) => !isFinalStatus(o.order_status)),
    protectionOrders,
    // With protection, the newest sell may be the cancelled sibling of the leg that sold: log the one that sold.
    lastExit: (protectionOrders.length > 0 ? [...exitOrders].reverse().find((o) => o.filled > 0) : undefined) ??
      exitOrders.at(-1),
    rejectedExits: exitOrders.filter((o) => o.purpose === "exit" && o.order_status === "rejected").length,
    pnl,
    heldQty: Math.max(0, pnl.unsoldQty),
  } satisfies PositionFigures;
}

/**
 * Whether `quantity` could still be sold at `price` under the market's rules (lot step, min amount, min notional).
 * What cannot is dust: it stays in the wallet and the position is done.
 */
export function isSellable(quantity: number, price: number, rules: MarketRules): boolean {
  if (!(quantity > 0)) return false;
  return prepareSell({ quantity, price, priceRounding: "down" }, rules).ok;
}

function figuresPatch(f: PositionFigures): PositionPatch {
  return {
    entry_qty: f.pnl.entry.qty,
    entry_avg_px: f.pnl.entry.qty > 0 ? f.pnl.entry.avgPrice : null,
    entry_fees_usd: f.pnl.entry.feesQuote,
    exit_qty: f.pnl.exit.qty,
    exit_avg_px: f.pnl.exit.qty > 0 ? f.pnl.exit.avgPrice : null,
    exit_fees_usd: f.pnl.exit.feesQuote,
  };
}

function changed(position: PositionRow, patch: PositionPatch): boolean {
  return (Object.keys(patch) as (keyof PositionPatch)[]).some((key) => position[key] !== patch[key]);
}

/** The trade_logs row of a closed position, from its fills. */
export function tradeLogOf(position: PositionRow, f: PositionFigures, closedAt: Date): TradeLogRow {
  const openedMs = Date.parse(position.opened_at);
  return {
    venue: position.venue,
    symbol: position.symbol,
    side: "long",
    size_usd: f.pnl.entry.quoteCost,
    entry_px: f.pnl.entry.avgPrice,
    exit_px: f.pnl.exit.avgPrice,
    pnl: f.pnl.pnl,
    dur_seconds: Number.isFinite(openedMs) ? Math.max(0, (closedAt.getTime() - openedMs) / 1000) : 0,
    ts: closedAt.toISOString(),
    order_id: f.lastExit?.exchange_order_id ?? null,
    order_status: f.lastExit?.order_status ?? "filled",
    position_id: position.id,
    fees_usd: f.pnl.feesQuote,
  };
}

/** The purpose of the protection leg that sold the most of the position, null when none sold anything. */
export function soldByProtection(f: Pick<PositionFigures, "protectionOrders">): "take_profit" | "stop_loss" | null {
  let best: OrderRow | null = null;
  for (const leg of f.protectionOrders) if (leg.filled > 0 && (!best || leg.filled > best.filled)) best = leg;
  return best ? best.purpose as "take_profit" | "stop_loss" : null;
}

/** A market price for the dust a closing position leaves, with when and where it came from. */
export interface DustPrice {
  price: number;
  at: string;
  source: DustPriceSource;
}

/**
 * What dust is valued at: the burst's bid for the symbol when it has one (valued now), else the position's last exit
 * fill (its price and time: a real trade at the market, not the entry cost); with neither it is unvalued (null).
 */
export function dustPrice(f: Pick<PositionFigures, "exitOrders">, bid: number | null, now: Date): DustPrice | null {
  if (bid !== null && bid > 0 && Number.isFinite(bid)) return { price: bid, at: now.toISOString(), source: "bid" };
  const fill = [...f.exitOrders].reverse().find((o) => o.filled > 0 && (fillOf(o)?.price ?? 0) > 0);
  if (!fill) return null;
  return { price: fillOf(fill)!.price, at: fill.closed_at ?? fill.updated_at, source: "exit_fill" };
}

/**
 * The dust book of a position that closes: what it leaves in the wallet, the entry outlay that stays with it (not in
 * realized_pnl), and its value at `price`; unvalued (price columns null) when no price was at hand, never at cost.
 */
export function dustPatch(f: Pick<PositionFigures, "heldQty" | "pnl">, price: DustPrice | null): PositionPatch {
  const none = { dust_px: null, dust_priced_at: null, dust_price_source: null, dust_value_usd: null };
  if (!(f.heldQty > 0)) return { dust_qty: 0, dust_cost_usd: 0, ...none };
  const book = { dust_qty: f.heldQty, dust_cost_usd: f.pnl.unsoldCost };
  if (!price) return { ...book, ...none };
  return {
    ...book,
    dust_px: price.price,
    dust_priced_at: price.at,
    dust_price_source: price.source,
    dust_value_usd: toNumber(mul(f.heldQty, price.price)),
  };
}

/** Dust is routine (a base-asset fee leaves some on most round trips); only dust nobody could price is worth a note. */
function dustNote(patch: PositionPatch): string | undefined {
  return patch.dust_qty && patch.dust_px == null
    ? `dust ${patch.dust_qty} left in the wallet, unvalued (no quote or exit fill to price it)`
    : undefined;
}

export type PositionEvent = "opened" | "closed" | "failed" | null;

export interface AdvanceResult {
  position: PositionRow;
  figures: PositionFigures;
  event: PositionEvent;
  /** Why a position failed or closed without an exit (for the burst summary; positions have no error column). */
  note?: string;
}

/**
 * Moves a position as far as its orders allow, writing its figures. `rules` and `referencePrice` (the bid of the
 * burst's latest quote, null when it has none; then the entry price) decide whether a remainder is still sellable;
 * what is not is dust, valued at market when the position closes (dustPrice).
 * Closing writes the trade_logs row first (idempotent), then the position: a crash in between closes it next time.
 */
export async function advancePosition(
  store: TradeStore,
  position: PositionRow,
  orders: readonly OrderRow[],
  options: { rules: MarketRules | undefined; referencePrice: number | null; now: Date },
): Promise<AdvanceResult> {
  const figures = positionFigures(position, orders);
  const patch = figuresPatch(figures);
  let event: PositionEvent = null;
  let note: string | undefined;

  if (position.status === "opening" && figures.entryOrders.length === 0) {
    // A burst records the entry order right after the position, in the same tick, while it holds the venue's lease;
    // whoever sees an opening position without one (the next tick, the next burst) sees a burst that stopped in
    // between. Nothing was sent: the position failed. Left alone, it would block its symbol forever.
    patch.status = "failed";
    patch.closed_at = options.now.toISOString();
    note = "no entry order was recorded (the burst stopped between the position and its order)";
    event = "failed";
  } else if (position.status === "opening" && !figures.liveEntry && figures.entryOrders.length > 0) {
    if (figures.pnl.entry.qty > 0) {
      patch.status = "open";
      event = "opened";
    } else {
      patch.status = "failed";
      const last = figures.entryOrders.at(-1)!;
      note = `entry order ${last.order_status} without a fill${last.last_error ? `: ${last.last_error}` : ""}`;
      patch.closed_at = options.now.toISOString();
      event = "failed";
    }
  } else if (
    (position.status === "closing" && !figures.liveExit && figures.liveProtection.length === 0) ||
    (position.status === "open" && figures.liveProtection.length === 0 && soldByProtection(figures) !== null)
  ) {
    const price = options.referencePrice ?? figures.pnl.entry.avgPrice;
    const sellable = options.rules ? isSellable(figures.heldQty, price, options.rules) : figures.heldQty > 0;
    if (!sellable) {
      patch.status = "closed";
      patch.exit_reason = position.exit_reason ?? soldByProtection(figures) ?? "manual";
      patch.realized_pnl = figures.pnl.pnl;
      patch.closed_at = options.now.toISOString();
      Object.assign(patch, dustPatch(figures, dustPrice(figures, options.referencePrice, options.now)));
      if (figures.pnl.exit.qty > 0) {
        await store.insertTradeLog(tradeLogOf(position, figures, options.now));
        note = dustNote(patch);
      } else {
        // Nothing could ever be sold (a partial entry below the market minimum): no round trip to log.
        note = `held ${figures.heldQty} is below the market minimum; left in the wallet as dust` +
          (patch.dust_px == null ? " (unvalued: no quote)" : ` valued ${patch.dust_value_usd} at ${patch.dust_px}`);
      }
      event = "closed";
    }
  }
  if (!changed(position, patch)) return { position, figures, event, note };
  const updated = await store.updatePosition(position.id, patch, options.now);
  return { position: updated, figures, event, note };
}
