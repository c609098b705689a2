/**
 * An open position as the dashboards show it: its current bid (from market_quotes, which trade-burst writes), how old
 * that quote is, the position's PnL if it were sold at that bid now, and the state of its protection on the venue
 * (the take-profit and stop-loss legs resting for it). Pure: rows in, plain values out; both dashboards use it.
 *
 * Unrealized PnL counts every fee: the entry's fees as they were charged (a base-asset fee as the coins that never
 * arrived, a BNB fee at the rate recorded on the order), the fees of any part already sold, and an ESTIMATE of the
 * exit fee: what is held, sold at the bid, at the venue's base-tier taker rate (a sell at the bid takes liquidity; an
 * account with a VIP tier or a BNB discount pays less, so this errs on the side of a lower PnL). Computed with the
 * bot's own PnL rules (realizedPnl over the orders' fills), so the figure closes where the bot would book it.
 */

import { VENUE_PROFILES } from "../../supabase/functions/_shared/exchange/venues.ts";
import { type FilledOrderLike, fillOf } from "../../supabase/functions/_shared/orders/positions.ts";
import { type FillLike, pairOf, realizedPnl } from "../../supabase/functions/_shared/trading/pnl.ts";

/** A quote older than this is shown as stale, not as the current price. */
export const STALE_QUOTE_MS = 120_000;

export interface QuoteLike {
  venue: string;
  mode: string;
  symbol: string;
  bid: number;
  ask: number;
  ts: string;
  source: string;
}

export interface PositionLike {
  id: string;
  venue: string;
  mode: string;
  symbol: string;
  status: string;
  opened_at: string;
}

/** The columns of a position's orders the figures and the protection state need. */
export interface PositionOrderLike extends FilledOrderLike {
  position_id: string | null;
  purpose: string;
  order_status: string;
  type: string;
  price: number | null;
  trigger_price: number | null;
  amount: number;
  created_at: string;
}

const LIVE_STATUSES = new Set(["pending_submit", "open", "partially_filled", "unknown"]);

/** The venue's base-tier taker rate (the exit fee estimate); the highest known one for a venue we do not know. */
export function exitFeeRate(venue: string): number {
  const profile = (VENUE_PROFILES as Record<string, { baseTierSpotFees: { taker: number } } | undefined>)[venue];
  return profile?.baseTierSpotFees.taker ??
    Math.max(...Object.values(VENUE_PROFILES).map((p) => p.baseTierSpotFees.taker));
}

export interface QuoteMark {
  bid: number;
  ask: number;
  ts: string;
  source: string;
  ageMs: number;
  stale: boolean;
}

/** The position's quote: same venue, mode and symbol. Null when the bursts have not written one. */
export function quoteMark(
  position: Pick<PositionLike, "venue" | "mode" | "symbol">,
  quotes: readonly QuoteLike[],
  now: Date,
  staleAfterMs = STALE_QUOTE_MS,
): QuoteMark | null {
  const quote = quotes.find((q) =>
    q.venue === position.venue && q.mode === position.mode && q.symbol === position.symbol
  );
  if (!quote) return null;
  const ageMs = Math.max(0, now.getTime() - Date.parse(quote.ts));
  return { bid: quote.bid, ask: quote.ask, ts: quote.ts, source: quote.source, ageMs, stale: !(ageMs <= staleAfterMs) };
}

export interface Unrealized {
  /** The round trip's PnL if what is held were sold at the bid now, net of all fees (exit fee estimated). */
  pnl: number;
  /** Base still held (entry fills net of base fees, less what was sold). */
  heldQty: number;
  /** Fees already paid, in quote (entry, and any part already sold). */
  feesPaid: number;
  /** The estimated fee of selling heldQty at the bid. */
  exitFeeEstimate: number;
  exitFeeRate: number;
}

/** Null when nothing of the entry has filled yet (no figure to show). */
export function unrealizedPnl(
  position: Pick<PositionLike, "id" | "venue" | "symbol">,
  orders: readonly PositionOrderLike[],
  bid: number,
  feeRate = exitFeeRate(position.venue),
): Unrealized | null {
  const mine = orders.filter((o) => o.position_id === position.id);
  const fills = (list: PositionOrderLike[]) => list.map(fillOf).filter((f): f is FillLike => f !== null);
  const entryFills = fills(mine.filter((o) => o.purpose === "entry"));
  if (entryFills.length === 0) return null;
  const exitFills = fills(mine.filter((o) => o.purpose !== "entry"));
  const pair = pairOf(position.symbol);
  const sofar = realizedPnl(entryFills, exitFills, pair);
  const heldQty = Math.max(0, sofar.unsoldQty);
  const exitFeeEstimate = heldQty * bid * feeRate;
  const markExit: FillLike = { price: bid, amount: heldQty, fee: { cost: exitFeeEstimate, currency: pair.quote } };
  const marked = realizedPnl(entryFills, heldQty > 0 ? [...exitFills, markExit] : exitFills, pair);
  return { pnl: marked.pnl, heldQty, feesPaid: sofar.feesQuote, exitFeeEstimate, exitFeeRate: feeRate };
}

export type LegState = "open" | "partly_filled" | "placing" | "missing";

export interface ProtectionView {
  /**
   * protected: both legs rest on the venue; partly_filled: a leg has sold part of the position; placing: a leg is
   * being sent or looked up; incomplete: one leg rests, the other is missing; missing: the venue holds none although
   * it should; bot_managed: this venue (or the settings) leave exits to the bursts; closing / opening: an exit or
   * the entry is working, there is no protection to hold.
   */
  state: "protected" | "partly_filled" | "placing" | "incomplete" | "missing" | "bot_managed" | "closing" | "opening";
  takeProfit: { price: number | null; state: LegState };
  stopLoss: { trigger: number | null; limit: number | null; state: LegState };
}

function legState(leg: PositionOrderLike | undefined): LegState {
  if (!leg) return "missing";
  if (leg.filled > 0 || leg.order_status === "partially_filled") return "partly_filled";
  if (leg.order_status === "open") return "open";
  return "placing";
}

/** Whether the bursts keep a take profit and a stop loss resting on this venue (settings and venue together). */
export function protectionExpected(venue: string, exitProtection: boolean): boolean {
  const profile = (VENUE_PROFILES as Record<string, { protection: string | null } | undefined>)[venue];
  return exitProtection && profile !== undefined && profile.protection !== null;
}

export function protectionView(
  position: Pick<PositionLike, "id" | "venue" | "status">,
  orders: readonly PositionOrderLike[],
  exitProtection: boolean,
): ProtectionView {
  const live = orders.filter((o) => o.position_id === position.id && LIVE_STATUSES.has(o.order_status))
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
  const tp = live.find((o) => o.purpose === "take_profit");
  const sl = live.find((o) => o.purpose === "stop_loss");
  const takeProfit = { price: tp?.price ?? null, state: legState(tp) };
  const stopLoss = { trigger: sl?.trigger_price ?? null, limit: sl?.price ?? null, state: legState(sl) };
  const legs = [takeProfit.state, stopLoss.state];
  let state: ProtectionView["state"];
  if (position.status === "opening") state = "opening";
  // Our own exit working: the burst released the protection before sending it, nothing is missing.
  else if (position.status === "closing" || live.some((o) => o.purpose === "exit")) state = "closing";
  else if (!tp && !sl) state = protectionExpected(position.venue, exitProtection) ? "missing" : "bot_managed";
  else if (!tp || !sl) state = "incomplete";
  else if (legs.includes("partly_filled")) state = "partly_filled";
  else if (legs.includes("placing")) state = "placing";
  else state = "protected";
  return { state, takeProfit, stopLoss };
}

/** A short label for the state, as both dashboards print it. */
export function protectionLabel(view: ProtectionView): string {
  switch (view.state) {
    case "protected":
      return "protected";
    case "partly_filled":
      return "partly filled";
    case "placing":
      return "placing";
    case "incomplete":
      return view.takeProfit.state === "missing" ? "take profit MISSING" : "stop loss MISSING";
    case "missing":
      return "MISSING on the venue";
    case "bot_managed":
      return "bot-managed exits";
    case "closing":
      return "exit working";
    case "opening":
      return "entry working";
  }
}

export interface MarkedPosition {
  quote: QuoteMark | null;
  unrealized: Unrealized | null;
  protection: ProtectionView;
  ageSeconds: number;
}

/** Everything the open-positions table shows beyond the position row itself. */
export function markPosition(
  position: PositionLike,
  context: {
    orders: readonly PositionOrderLike[];
    quotes: readonly QuoteLike[];
    exitProtection: boolean;
    now: Date;
    staleAfterMs?: number;
  },
): MarkedPosition {
  const quote = quoteMark(position, context.quotes, context.now, context.staleAfterMs);
  return {
    quote,
    unrealized: quote ? unrealizedPnl(position, context.orders, quote.bid) : null,
    protection: protectionView(position, context.orders, context.exitProtection),
    ageSeconds: Math.max(0, (context.now.getTime() - Date.parse(position.opened_at)) / 1000),
  };
}
