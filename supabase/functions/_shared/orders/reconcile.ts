/**
 * Reconciliation: make the tables agree with the venue before trading on them. Every non-final order of the venue is
 * looked up (by exchange id, or by our client order id when the exchange id never reached us: a crash between send
 * and write, or a timed-out create); what the venue says is applied; an order the venue still does not know after a
 * grace period never arrived and is closed with the reason. Then positions are advanced from their orders.
 */
import { describeError } from "../describe_error.ts";
import { ExchangeLayerError, NeedsHumanError } from "../exchange/errors.ts";
import type { TradingMode } from "../settings.ts";
import type { MarketRules } from "../trading/precision.ts";
import type { OrderExecutor } from "./executor.ts";
import { applyExchangeOrder, markOrder } from "./order_book.ts";
import { advancePosition, type AdvanceResult, type PositionEvent } from "./positions.ts";
import type { TradeStore } from "./store.ts";
import { ACTIVE_POSITION_STATUSES, type ExchangeOrderView, type OrderRow, type PositionRow } from "./types.ts";
import type { Venue } from "../exchange/venues.ts";

/** How long an order may be unknown to the venue before we conclude it never arrived (venues index in ms). */
export const DEFAULT_NOT_FOUND_GRACE_MS = 30_000;

export type RefreshNote = "updated" | "unchanged" | "ignored" | "not_found_yet" | "lost" | "lookup_failed";

export interface RefreshResult {
  order: OrderRow;
  note: RefreshNote;
  detail?: string;
}

/**
 * Looks one order up and applies the answer. Lookup errors leave the row as it is (the next tick tries again), except
 * NeedsHumanError (keys, permissions), which is thrown: no later tick can fix it.
 */
export async function refreshOrder(
  store: TradeStore,
  executor: OrderExecutor,
  order: OrderRow,
  options: { now: Date; graceMs?: number },
): Promise<RefreshResult> {
  let view;
  try {
    view = await executor.lookup(order);
  } catch (error) {
    if (error instanceof ExchangeLayerError && !(error instanceof NeedsHumanError)) {
      return { order, note: "lookup_failed", detail: describeError(error) };
    }
    throw error;
  }
  return await applyRefresh(store, order, view, options);
}

/** Applies what the venue said of one order (`null`: it does not know it), with the not-found rule. */
export async function applyRefresh(
  store: TradeStore,
  order: OrderRow,
  view: ExchangeOrderView | null,
  options: { now: Date; graceMs?: number },
): Promise<RefreshResult> {
  if (view === null) {
    const ageMs = options.now.getTime() - Date.parse(order.created_at);
    if (ageMs < (options.graceMs ?? DEFAULT_NOT_FOUND_GRACE_MS)) return { order, note: "not_found_yet" };
    // Sent and acknowledged once (we hold its exchange id) but gone now: it expired there. Never acknowledged: it
    // never arrived, so the venue in effect rejected it.
    const status = order.exchange_order_id ? "expired" : "rejected";
    const reason = `not found at the venue ${Math.round(ageMs / 1000)} s after it was recorded as ` +
      `${order.order_status}${order.exchange_order_id ? "" : "; it never arrived"}`;
    return { order: await markOrder(store, order, status, reason, options.now), note: "lost", detail: reason };
  }
  const applied = await applyExchangeOrder(store, order, view, options.now);
  if ("ignored" in applied) return { order, note: "ignored", detail: applied.ignored };
  return { order: applied.order, note: applied.changed ? "updated" : "unchanged" };
}

export interface ReconcileReport {
  ordersChecked: number;
  notes: Partial<Record<RefreshNote, number>>;
  positionEvents: Partial<Record<Exclude<PositionEvent, null>, number>>;
  details: string[];
}

export interface ReconcileOptions {
  venue: Venue;
  mode: TradingMode;
  now: () => Date;
  graceMs?: number;
  rulesFor: (symbol: string) => MarketRules | undefined;
  /** Told of every position that opened, closed or failed (the burst's daily counters follow them). */
  onPositionEvent?: (result: AdvanceResult) => void;
}

/**
 * Brings one venue's non-final orders and active positions up to date. Runs at the start of every burst. Throws
 * NeedsHumanError when the venue refuses our keys.
 */
export async function reconcileVenue(
  store: TradeStore,
  executor: OrderExecutor,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const report: ReconcileReport = { ordersChecked: 0, notes: {}, positionEvents: {}, details: [] };
  for (const order of await store.listNonFinalOrders(options.venue, options.mode)) {
    const result = await refreshOrder(store, executor, order, { now: options.now(), graceMs: options.graceMs });
    report.ordersChecked += 1;
    report.notes[result.note] = (report.notes[result.note] ?? 0) + 1;
    if (result.detail) report.details.push(`${order.client_order_id}: ${result.detail}`);
  }
  const positions: PositionRow[] = await store.listPositions(options.venue, options.mode, ACTIVE_POSITION_STATUSES);
  if (positions.length === 0) return report;
  const orders = await store.listOrdersOfPositions(positions.map((p) => p.id));
  for (const position of positions) {
    const result = await advancePosition(store, position, orders, {
      rules: options.rulesFor(position.symbol),
      referencePrice: null,
      now: options.now(),
    });
    if (result.event) {
      report.positionEvents[result.event] = (report.positionEvents[result.event] ?? 0) + 1;
      options.onPositionEvent?.(result);
    }
  }
  return report;
}
