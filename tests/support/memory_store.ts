/**
 * TradeStore in memory, with the same rules the tables enforce that the burst relies on (unique client order id,
 * one trade log per position, one lease per venue). For unit tests and offline experiments; production uses
 * supabase_store.ts.
 */
import type { TradingMode } from "../../supabase/functions/_shared/settings.ts";
import { isFinalStatus } from "../../supabase/functions/_shared/trading/lifecycle.ts";
import { provisionalOrder } from "../../supabase/functions/_shared/orders/order_book.ts";
import type {
  ArmedEntryRows,
  DailyStats,
  LeaseOutcome,
  NewPosition,
  OrderPatch,
  TradeStore,
  VenueConnection,
} from "../../supabase/functions/_shared/orders/store.ts";
import type {
  OrderIntent,
  OrderRow,
  PositionPatch,
  PositionRow,
  PositionStatus,
  TradeLogRow,
} from "../../supabase/functions/_shared/orders/types.ts";
import type { Venue } from "../../supabase/functions/_shared/exchange/venues.ts";

export interface MemoryLease {
  id: string;
  functionName: string;
  venue: Venue;
  expiresAt: number;
  outcome: "running" | LeaseOutcome;
  summary: unknown;
  error: string | null;
}

export class MemoryTradeStore implements TradeStore {
  readonly orders: OrderRow[] = [];
  readonly positions: PositionRow[] = [];
  readonly tradeLogs: TradeLogRow[] = [];
  readonly leases: MemoryLease[] = [];
  readonly bands = new Map<Venue, string>();
  /** Venues whose exchange_connections.is_active is false. */
  readonly inactive = new Set<Venue>();
  #nextId = 1;

  constructor(private readonly nowMs: () => number = () => Date.now()) {}

  #id(prefix: string): string {
    return `${prefix}-${this.#nextId++}`;
  }

  insertOrder(intent: OrderIntent, now: Date): Promise<OrderRow> {
    if (this.orders.some((o) => o.client_order_id === intent.client_order_id)) {
      return Promise.reject(new Error(`duplicate client_order_id ${intent.client_order_id}`));
    }
    // The row the tables make of an intent: pending_submit, nothing filled yet (as an armed order before its send).
    const row = provisionalOrder(intent, this.#id("order"), now);
    this.orders.push(row);
    return Promise.resolve({ ...row });
  }

  updateOrder(id: string, patch: OrderPatch, now: Date): Promise<OrderRow> {
    const row = this.orders.find((o) => o.id === id);
    if (!row) return Promise.reject(new Error(`no order ${id}`));
    Object.assign(row, patch, { updated_at: now.toISOString() });
    return Promise.resolve({ ...row });
  }

  listNonFinalOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]> {
    return Promise.resolve(
      this.orders.filter((o) => o.venue === venue && o.mode === mode && !isFinalStatus(o.order_status))
        .map((o) => ({ ...o })),
    );
  }

  listOrdersOfPositions(positionIds: readonly string[]): Promise<OrderRow[]> {
    const ids = new Set(positionIds);
    return Promise.resolve(this.orders.filter((o) => o.position_id && ids.has(o.position_id)).map((o) => ({ ...o })));
  }

  listOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]> {
    return Promise.resolve(this.orders.filter((o) => o.venue === venue && o.mode === mode).map((o) => ({ ...o })));
  }

  insertPosition(position: NewPosition): Promise<PositionRow> {
    const row: PositionRow = {
      ...position,
      id: this.#id("position"),
      side: "long",
      status: "opening",
      entry_qty: 0,
      entry_avg_px: null,
      entry_fees_usd: 0,
      exit_qty: 0,
      exit_avg_px: null,
      exit_fees_usd: 0,
      realized_pnl: null,
      exit_reason: null,
      closed_at: null,
      updated_at: position.opened_at,
    };
    this.positions.push(row);
    return Promise.resolve({ ...row });
  }

  /** What record_armed_entry also does to the armed row (wire it to a MemoryArmedOrderStore's markFired). */
  onArmedFired: ((armedId: string, now: Date) => Promise<void>) | null = null;
  /** When set, the next recordArmedEntry fails with it (the database unreachable after a send). */
  failNextArmedRecord: Error | null = null;

  async recordArmedEntry(armedId: string, position: NewPosition, order: OrderRow): Promise<ArmedEntryRows> {
    if (this.failNextArmedRecord) {
      const error = this.failNextArmedRecord;
      this.failNextArmedRecord = null;
      throw error;
    }
    if (this.orders.some((o) => o.client_order_id === order.client_order_id)) {
      throw new Error(`duplicate client_order_id ${order.client_order_id}`);
    }
    const stored = await this.insertPosition(position);
    const row: OrderRow = { ...order, position_id: stored.id, updated_at: new Date(this.nowMs()).toISOString() };
    this.orders.push(row);
    await this.onArmedFired?.(armedId, new Date(this.nowMs()));
    return { position: stored, order: { ...row } };
  }

  updatePosition(id: string, patch: PositionPatch, now: Date): Promise<PositionRow> {
    const row = this.positions.find((p) => p.id === id);
    if (!row) return Promise.reject(new Error(`no position ${id}`));
    Object.assign(row, patch, { updated_at: now.toISOString() });
    return Promise.resolve({ ...row });
  }

  listPositions(venue: Venue, mode: TradingMode, statuses: readonly PositionStatus[]): Promise<PositionRow[]> {
    return Promise.resolve(
      this.positions.filter((p) => p.venue === venue && p.mode === mode && statuses.includes(p.status))
        .map((p) => ({ ...p })),
    );
  }

  insertTradeLog(row: TradeLogRow): Promise<void> {
    if (!this.tradeLogs.some((t) => t.position_id === row.position_id)) this.tradeLogs.push({ ...row });
    return Promise.resolve();
  }

  dailyStats(mode: TradingMode, since: Date): Promise<DailyStats> {
    const sinceMs = since.getTime();
    // As daily_trade_stats: every entry order recorded today and not refused by the venue.
    const entries =
      this.orders.filter((o) =>
        o.mode === mode && o.purpose === "entry" && Date.parse(o.created_at) >= sinceMs && o.order_status !== "rejected"
      ).length;
    const realizedPnl = this.positions
      .filter((p) => p.mode === mode && p.closed_at !== null && Date.parse(p.closed_at) >= sinceMs)
      .reduce((sum, p) => sum + (p.realized_pnl ?? 0), 0);
    const openPositions =
      this.positions.filter((p) =>
        p.mode === mode && (p.status === "opening" || p.status === "open" || p.status === "closing")
      ).length;
    return Promise.resolve({ entries, realizedPnl, openPositions });
  }

  venueConnection(venue: Venue): Promise<VenueConnection> {
    return Promise.resolve({ latencyBand: this.bands.get(venue) ?? null, isActive: !this.inactive.has(venue) });
  }

  acquireLease(functionName: string, venue: Venue, ttlSeconds: number): Promise<string | null> {
    const now = this.nowMs();
    const held = this.leases.some((l) =>
      l.functionName === functionName && l.venue === venue && l.outcome === "running" && l.expiresAt > now
    );
    if (held) return Promise.resolve(null);
    const lease: MemoryLease = {
      id: this.#id("run"),
      functionName,
      venue,
      expiresAt: now + ttlSeconds * 1000,
      outcome: "running",
      summary: null,
      error: null,
    };
    this.leases.push(lease);
    return Promise.resolve(lease.id);
  }

  releaseLease(runId: string, outcome: LeaseOutcome, summary: unknown, error: string | null): Promise<void> {
    const lease = this.leases.find((l) => l.id === runId);
    if (lease) Object.assign(lease, { outcome, summary, error });
    return Promise.resolve();
  }
}
