/**
 * Order lifecycle: the statuses an `orders` row moves through, which moves are valid, and how a ccxt unified order
 * maps onto them. order_book.ts changes a row's status only when canTransition allows the move, so a late or confused
 * exchange answer can never turn a filled order back into an open one.
 */

export const ORDER_STATUSES = [
  "pending_submit",
  "open",
  "partially_filled",
  "filled",
  "cancelled",
  "rejected",
  "expired",
  "unknown",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const FINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set(["filled", "cancelled", "rejected", "expired"]);

export function isFinalStatus(status: OrderStatus): boolean {
  return FINAL_ORDER_STATUSES.has(status);
}

/**
 * Forward moves. Staying in the same status is always allowed (re-reading an order is not a move; an open order's
 * fill may grow without its status changing). `unknown` is handled separately: it may move anywhere, because only
 * reconciliation with the exchange can tell what happened.
 */
const FORWARD: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  // Sent (or about to be): the first answer can be anything, including an immediate fill or cancel (IOC).
  pending_submit: ["open", "partially_filled", "filled", "cancelled", "rejected", "expired", "unknown"],
  // Accepted: some venues still reject after acceptance (e.g. post-only); fills only grow from here.
  open: ["partially_filled", "filled", "cancelled", "rejected", "expired", "unknown"],
  // Part of it traded: it cannot be un-traded (no way back to open, and not "rejected").
  partially_filled: ["filled", "cancelled", "expired", "unknown"],
  filled: [],
  cancelled: [],
  rejected: [],
  expired: [],
  unknown: ORDER_STATUSES,
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return from === to || FORWARD[from].includes(to);
}

/** The fields of a ccxt unified order (or our simulator's) that decide its status. */
export interface CcxtOrderLike {
  status?: string | null;
  amount?: number | null;
  filled?: number | null;
}

/** filled counts as complete when it is within this relative distance of amount (floats parsed from strings). */
const FILL_TOLERANCE = 1e-9;

function hasFill(order: CcxtOrderLike): boolean {
  return typeof order.filled === "number" && order.filled > 0;
}

function isComplete(order: CcxtOrderLike): boolean {
  const { amount, filled } = order;
  if (typeof filled !== "number") return false;
  // Without an amount to compare with, trust ccxt's "closed" (= fully filled) as long as something filled.
  if (typeof amount !== "number" || !(amount > 0)) return filled > 0;
  return filled >= amount * (1 - FILL_TOLERANCE);
}

/**
 * Maps a ccxt unified order to our status. The fill itself is never dropped: callers keep `filled`/`average` from
 * the same object whatever the status (a cancelled order with filled > 0 still bought something).
 *
 * - open / canceling (ccxt's "cancel pending"): partially_filled when something filled, else open
 * - closed: filled when filled reaches amount; with only part filled it is done without completing, so cancelled
 *   (fill kept); closed with nothing filled contradicts itself, so unknown (reconcile)
 * - canceled / cancelled: cancelled (fill kept)
 * - expired: expired (fill kept); rejected: rejected
 * - missing or anything else: unknown
 */
export function statusFromCcxtOrder(order: CcxtOrderLike): OrderStatus {
  switch (order.status) {
    case "open":
    case "canceling":
      return hasFill(order) ? "partially_filled" : "open";
    case "closed":
      if (isComplete(order)) return "filled";
      return hasFill(order) ? "cancelled" : "unknown";
    case "canceled":
    case "cancelled":
      return "cancelled";
    case "expired":
      return "expired";
    case "rejected":
      return "rejected";
    default:
      return "unknown";
  }
}
