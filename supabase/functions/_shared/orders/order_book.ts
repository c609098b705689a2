/**
 * The order lifecycle against the store: an order is recorded before it leaves, and afterwards changes only along
 * the transitions lifecycle.ts allows, with fills that never shrink. A stale or contradictory exchange answer is
 * ignored (and said so), never written over a better-known state.
 */
import { canTransition, isFinalStatus } from "../trading/lifecycle.ts";
import type { OrderPatch, TradeStore } from "./store.ts";
import type { ExchangeOrderView, OrderIntent, OrderRow } from "./types.ts";

/** Inserts the `orders` row as `pending_submit` BEFORE the request leaves: no order can exist that we did not record. */
export function recordIntent(store: TradeStore, intent: OrderIntent, now: Date): Promise<OrderRow> {
  validateIntent(intent);
  return store.insertOrder(intent, now);
}

function validateIntent(intent: OrderIntent): void {
  if (!(intent.amount > 0)) throw new RangeError(`order amount must be > 0, got ${intent.amount}`);
  if (intent.type === "limit" && !(intent.price !== null && intent.price > 0)) {
    throw new RangeError(`a limit order needs a price > 0, got ${intent.price}`);
  }
}

export type ApplyResult =
  | { changed: boolean; order: OrderRow }
  | { changed: false; order: OrderRow; ignored: string };

/** Fills below this are float noise, not a shrink. */
const FILL_EPSILON = 1e-12;

/**
 * The patch that moves `current` to what the venue says, or a reason to ignore the answer: an invalid transition
 * (e.g. a filled order reported open by a lagging read) or a fill smaller than one already recorded.
 */
export function orderPatchFromView(
  current: OrderRow,
  view: ExchangeOrderView,
  now: Date,
): { patch: OrderPatch } | { ignored: string } {
  if (!canTransition(current.order_status, view.status)) {
    return { ignored: `status ${current.order_status} cannot become ${view.status}` };
  }
  if (view.filled + FILL_EPSILON < current.filled) {
    return { ignored: `filled ${view.filled} is below the recorded ${current.filled}` };
  }
  const patch: OrderPatch = {
    order_status: view.status,
    filled: view.filled,
    remaining: view.remaining,
    average: view.average,
    cost: view.cost,
    raw: view.raw,
  };
  if (view.exchangeOrderId && view.exchangeOrderId !== current.exchange_order_id) {
    patch.exchange_order_id = view.exchangeOrderId;
  }
  // Binance's GET order carries no fees: keep the fees we know rather than erase them.
  if (view.feeCost !== null) {
    patch.fee_cost = view.feeCost;
    patch.fee_currency = view.feeCurrency;
  }
  if (current.submitted_at === null && view.status !== "pending_submit") patch.submitted_at = now.toISOString();
  if (isFinalStatus(view.status) && current.closed_at === null) patch.closed_at = now.toISOString();
  return { patch };
}

function isNoop(current: OrderRow, patch: OrderPatch): boolean {
  return (Object.keys(patch) as (keyof OrderPatch)[]).every((key) =>
    key === "raw" || JSON.stringify(current[key]) === JSON.stringify(patch[key])
  );
}

/** Writes what the venue says about `current` when it is a valid move; returns the row as stored afterwards. */
export async function applyExchangeOrder(
  store: TradeStore,
  current: OrderRow,
  view: ExchangeOrderView,
  now: Date,
  /** Written with the view's patch in the same update (a protection leg's list id), or alone if the view is ignored. */
  alongside: OrderPatch = {},
): Promise<ApplyResult> {
  const decided = orderPatchFromView(current, view, now);
  if ("ignored" in decided) {
    const order = isNoop(current, alongside) ? current : await store.updateOrder(current.id, alongside, now);
    return { changed: order !== current, order, ignored: decided.ignored };
  }
  const patch = { ...alongside, ...decided.patch };
  if (isNoop(current, patch)) return { changed: false, order: current };
  return { changed: true, order: await store.updateOrder(current.id, patch, now) };
}

export type OwnStatus = "rejected" | "expired" | "unknown";

/** The patch for a status of our own making; null when `current` cannot move there. */
export function ownStatusPatch(current: OrderRow, status: OwnStatus, reason: string, now: Date): OrderPatch | null {
  if (!canTransition(current.order_status, status)) return null;
  const patch: OrderPatch = { order_status: status, last_error: reason.slice(0, 500) };
  if (isFinalStatus(status) && current.closed_at === null) patch.closed_at = now.toISOString();
  return patch;
}

/** Moves an order to a final or unknown status of our own making (rejected by the venue, lost, timed out). */
export async function markOrder(
  store: TradeStore,
  current: OrderRow,
  status: OwnStatus,
  reason: string,
  now: Date,
): Promise<OrderRow> {
  const patch = ownStatusPatch(current, status, reason, now);
  return patch === null ? current : await store.updateOrder(current.id, patch, now);
}

/**
 * An armed order as it stands before its send: pending_submit, with an id of our own (the row is written after the
 * send, in that state or the one the venue answered). The armed row is its record until then.
 */
export function provisionalOrder(intent: OrderIntent, id: string, now: Date): OrderRow {
  validateIntent(intent);
  const iso = now.toISOString();
  return {
    ...intent,
    id,
    exchange_order_id: null,
    filled: 0,
    remaining: intent.amount,
    average: null,
    cost: 0,
    fee_cost: null,
    fee_currency: null,
    order_status: "pending_submit",
    last_error: null,
    raw: null,
    created_at: iso,
    submitted_at: null,
    updated_at: iso,
    closed_at: null,
  };
}
