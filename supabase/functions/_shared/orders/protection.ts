/**
 * A position's protection on the venue, decided (pure): a take-profit limit sell at the target and a stop sell below,
 * for everything the position holds, linked so that one filling cancels the other. The venue then closes the position
 * by itself while no burst runs; the burst keeps only the time stop (and any exit it is told to make).
 *
 * Prices come from the entry's average fill and the existing percentages (exits.ts's exitPrices): the target rounded
 * up to the tick (never below the target), the trigger rounded down (never above the stop), the stop's limit a band
 * below the trigger so a fast fall still fills. The amount is what is held, floored to the lot step; a holding the
 * venue's minimums refuse at either price cannot be protected (dust, per the money-safety rules).
 */
import { exitPrices, type ExitSettings } from "../trading/exits.ts";
import { type MarketRules, prepareSell } from "../trading/precision.ts";
import type { PositionFigures } from "./positions.ts";
import type { OrderRow } from "./types.ts";

/** How far below the trigger the stop-limit's limit sits: room for the bid to fall past the trigger and still sell. */
export const STOP_LIMIT_BAND_PCT = 0.5;
/** Protection lists refused this many times for one position are not tried again: the burst decides its exits. */
export const MAX_REFUSED_PROTECTIONS = 3;

export interface ProtectionPlan {
  amount: number;
  takeProfitPrice: number;
  stopTrigger: number;
  stopLimit: number;
}

export type PlanResult = { ok: true; plan: ProtectionPlan } | { ok: false; reason: string };

/** The protection `heldQty` at `entryAvgPx` calls for, or why it cannot have one. */
export function planProtection(
  entryAvgPx: number,
  heldQty: number,
  settings: ExitSettings,
  rules: MarketRules,
): PlanResult {
  if (!(entryAvgPx > 0)) return { ok: false, reason: `no entry price (${entryAvgPx})` };
  const { takeProfit, stopLoss } = exitPrices(entryAvgPx, settings);
  const tp = prepareSell({ quantity: heldQty, price: takeProfit, priceRounding: "up" }, rules);
  if (!tp.ok) return { ok: false, reason: `take profit ${tp.reason} (held ${heldQty})` };
  const trigger = prepareSell({ quantity: heldQty, price: stopLoss, priceRounding: "down" }, rules);
  if (!trigger.ok) return { ok: false, reason: `stop loss ${trigger.reason} (held ${heldQty})` };
  const limit = prepareSell(
    { quantity: heldQty, price: trigger.price * (1 - STOP_LIMIT_BAND_PCT / 100), priceRounding: "down" },
    rules,
  );
  if (!limit.ok) return { ok: false, reason: `stop limit ${limit.reason} (held ${heldQty})` };
  return {
    ok: true,
    plan: { amount: tp.amount, takeProfitPrice: tp.price, stopTrigger: trigger.price, stopLimit: limit.price },
  };
}

/** Amounts below this are float noise, not a different size. */
const AMOUNT_EPSILON = 1e-12;

const unfilled = (order: OrderRow) => Math.max(0, order.amount - order.filled);

/**
 * Whether the live legs are exactly one whole list (a take profit and a stop loss with the same list id) whose
 * unfilled amounts both equal the planned amount. Anything else (a leg missing, a leg of another size after more of
 * the entry filled, a lone leg whose sibling was cancelled) needs its live legs cancelled and a new list.
 */
export function protectionCovers(figures: Pick<PositionFigures, "liveProtection">, plan: ProtectionPlan): boolean {
  const live = figures.liveProtection;
  if (live.length !== 2) return false;
  const tp = live.find((o) => o.purpose === "take_profit");
  const sl = live.find((o) => o.purpose === "stop_loss");
  if (!tp || !sl || !tp.list_client_id || tp.list_client_id !== sl.list_client_id) return false;
  return Math.abs(unfilled(tp) - plan.amount) <= AMOUNT_EPSILON &&
    Math.abs(unfilled(sl) - plan.amount) <= AMOUNT_EPSILON;
}

/** Protection lists of the position the venue refused outright (both legs rejected without a fill). */
export function refusedProtections(figures: Pick<PositionFigures, "protectionOrders">): number {
  return figures.protectionOrders.filter((o) => o.purpose === "take_profit" && o.order_status === "rejected").length;
}
