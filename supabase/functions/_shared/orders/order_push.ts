/**
 * An order update pushed by a venue's private stream, and how it becomes the same ExchangeOrderView a REST lookup
 * gives, so it is applied through the same path (order_book.ts's transitions, fills that never shrink). Pure.
 *
 * Replays change nothing: a push that says what the row already says is a no-op, an older one is stale (ignored),
 * and a fill is added to the known fees only when it follows the fill we hold (cumulative filled − this fill =
 * recorded filled). A push that does not follow (an event was missed) is a gap: the caller looks the order up.
 */
import { add, sub, toNumber } from "../trading/decimal.ts";
import type { OrderStatus } from "../trading/lifecycle.ts";
import type { ExchangeOrderView, OrderRow } from "./types.ts";

export interface OrderPush {
  exchangeOrderId: string;
  clientOrderId: string | null;
  status: OrderStatus;
  /** cumulative base filled */
  filled: number;
  /** cumulative quote traded */
  cost: number;
  /** base filled by the event's own fill (0 when the event is not a fill) */
  lastFilled: number;
  /**
   * The fee the event reports: Binance gives the last fill's (`last`), OKX the order's accumulated fee (`total`).
   * null when the event names none.
   */
  fee: { cost: number; currency: string | null; scope: "last" | "total" } | null;
  raw: unknown;
}

export type PushDecision = { view: ExchangeOrderView } | { stale: string } | { gap: string };

/** Fills closer than this (relative to the amount) are the same fill: floats parsed from the venues' strings. */
const FILL_TOLERANCE = 1e-9;

export function viewFromPush(current: OrderRow, push: OrderPush): PushDecision {
  const eps = FILL_TOLERANCE * Math.max(1, current.amount);
  if (push.filled + eps < current.filled) {
    return { stale: `pushed filled ${push.filled} is below the recorded ${current.filled}` };
  }
  const newFill = push.filled > current.filled + eps;
  let fee: { cost: number; currency: string | null } | null = null;
  if (newFill && Math.abs(push.filled - push.lastFilled - current.filled) > eps) {
    return { gap: `filled ${current.filled} → ${push.filled} by a fill of ${push.lastFilled}: an update was missed` };
  }
  if (push.fee?.scope === "total") {
    fee = { cost: push.fee.cost, currency: push.fee.currency };
  } else if (newFill && push.fee && push.fee.cost !== 0) {
    if (current.fee_currency && push.fee.currency && current.fee_currency !== push.fee.currency) {
      // Mixed fee assets: the REST lookup sums them the way every other path does.
      return { gap: `fee in ${push.fee.currency} after fees in ${current.fee_currency}` };
    }
    fee = {
      cost: toNumber(add(current.fee_cost ?? 0, push.fee.cost)),
      currency: push.fee.currency ?? current.fee_currency,
    };
  }
  const filled = push.filled;
  return {
    view: {
      exchangeOrderId: push.exchangeOrderId,
      clientOrderId: push.clientOrderId,
      status: push.status,
      filled,
      remaining: Math.max(0, toNumber(sub(current.amount, filled))),
      average: filled > 0 ? push.cost / filled : null,
      cost: push.cost,
      // null keeps the fees the row holds (order_book.ts)
      feeCost: fee?.cost ?? null,
      feeCurrency: fee?.currency ?? null,
      raw: push.raw,
    },
  };
}

/** Whether the push is about this row: the venue's id once we hold it, else our client order id. */
export function pushMatches(row: OrderRow, push: OrderPush): boolean {
  if (row.exchange_order_id !== null) return row.exchange_order_id === push.exchangeOrderId;
  return push.clientOrderId !== null && row.client_order_id === push.clientOrderId;
}
