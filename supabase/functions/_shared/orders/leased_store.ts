/**
 * The tables as the burst holding a venue's lease sees them. While it holds the lease no other burst writes that
 * venue's orders or positions, so after one read at the start it keeps them in memory: every write still goes to the
 * tables first (the write is the record), and the row the tables answer replaces the one in memory (for a row it
 * already holds, the patch merged into it: the write sends nothing back). Reads of the
 * leased venue and mode (non-final orders, active positions and their orders, the paper ledger's order list) are then
 * answered from memory instead of a round trip per tick. Anything else (other venues, other modes, trade logs, daily
 * stats, leases) passes straight through.
 */
import type { TradingMode } from "../settings.ts";
import { isFinalStatus } from "../trading/lifecycle.ts";
import type {
  ArmedEntryRows,
  DailyStats,
  LeaseOutcome,
  NewPosition,
  OrderPatch,
  TradeStore,
  VenueConnection,
} from "./store.ts";
import {
  ACTIVE_POSITION_STATUSES,
  type OrderIntent,
  type OrderRow,
  type PositionPatch,
  type PositionRow,
  type PositionStatus,
  type TradeLogRow,
} from "./types.ts";
import type { Venue } from "../exchange/venues.ts";

const isActive = (status: PositionStatus) => ACTIVE_POSITION_STATUSES.includes(status);
const byCreated = (a: OrderRow, b: OrderRow) => Date.parse(a.created_at) - Date.parse(b.created_at);
const byOpened = (a: PositionRow, b: PositionRow) => Date.parse(a.opened_at) - Date.parse(b.opened_at);

/**
 * A row after a patch, as the table now holds it: the patch's defined fields over the row, updated_at moved (the
 * table's trigger sets it to the database's clock; ours differs by the clock skew, and nothing decides on it).
 */
function merged<T extends { updated_at: string }>(row: T, patch: Partial<T>, now: Date): T {
  const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  return { ...row, ...defined, updated_at: now.toISOString() };
}

export class LeasedVenueStore implements TradeStore {
  /** Active positions of the venue and mode. */
  readonly #positions = new Map<string, PositionRow>();
  /** Non-final orders of the venue and mode, plus every order of an active position. */
  readonly #orders = new Map<string, OrderRow>();
  /** Every order of the venue and mode (the paper ledger sums them); loaded on first use. */
  #allOrders: Map<string, OrderRow> | null = null;
  #loaded = false;

  constructor(
    private readonly inner: TradeStore,
    readonly venue: Venue,
    readonly mode: TradingMode,
  ) {}

  /** Reads the venue's working state once (three round trips). Call after taking the lease. */
  async load(): Promise<void> {
    const orders = await this.inner.listNonFinalOrders(this.venue, this.mode);
    const positions = await this.inner.listPositions(this.venue, this.mode, ACTIVE_POSITION_STATUSES);
    const ofPositions = positions.length > 0 ? await this.inner.listOrdersOfPositions(positions.map((p) => p.id)) : [];
    for (const position of positions) this.#positions.set(position.id, position);
    for (const order of [...orders, ...ofPositions]) this.#orders.set(order.id, order);
    this.#loaded = true;
  }

  #mine(venue: Venue, mode: TradingMode): boolean {
    return this.#loaded && venue === this.venue && mode === this.mode;
  }

  /** Keeps an order in memory while it matters to a tick: not final, or belonging to an active position. */
  #remember(order: OrderRow): void {
    if (order.venue !== this.venue || order.mode !== this.mode) return;
    this.#allOrders?.set(order.id, order);
    const relevant = !isFinalStatus(order.order_status) ||
      (order.position_id !== null && this.#positions.has(order.position_id));
    if (relevant) this.#orders.set(order.id, order);
    else this.#orders.delete(order.id);
  }

  #rememberPosition(position: PositionRow): void {
    if (position.venue !== this.venue || position.mode !== this.mode) return;
    if (isActive(position.status)) {
      this.#positions.set(position.id, position);
      return;
    }
    // Done: its final orders leave memory with it (a non-final one stays until it is final).
    this.#positions.delete(position.id);
    for (const order of [...this.#orders.values()]) {
      if (order.position_id === position.id && isFinalStatus(order.order_status)) this.#orders.delete(order.id);
    }
  }

  async insertOrder(intent: OrderIntent, now: Date): Promise<OrderRow> {
    const row = await this.inner.insertOrder(intent, now);
    this.#remember(row);
    return { ...row };
  }

  async updateOrder(id: string, patch: OrderPatch, now: Date): Promise<OrderRow> {
    const known = this.#orders.get(id) ?? this.#allOrders?.get(id);
    let row: OrderRow;
    if (known && this.inner.writeOrderPatch) {
      // The row is ours alone while the lease holds: write the change, keep the merge (no row sent back to parse).
      await this.inner.writeOrderPatch(id, patch, now);
      row = merged<OrderRow>(known, patch, now);
    } else {
      row = await this.inner.updateOrder(id, patch, now);
    }
    this.#remember(row);
    return { ...row };
  }

  listNonFinalOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]> {
    if (!this.#mine(venue, mode)) return this.inner.listNonFinalOrders(venue, mode);
    const rows = [...this.#orders.values()].filter((o) => !isFinalStatus(o.order_status)).sort(byCreated);
    return Promise.resolve(rows.map((o) => ({ ...o })));
  }

  listOrdersOfPositions(positionIds: readonly string[]): Promise<OrderRow[]> {
    if (!this.#loaded || !positionIds.every((id) => this.#positions.has(id))) {
      return this.inner.listOrdersOfPositions(positionIds);
    }
    const ids = new Set(positionIds);
    const rows = [...this.#orders.values()].filter((o) => o.position_id !== null && ids.has(o.position_id));
    return Promise.resolve(rows.sort(byCreated).map((o) => ({ ...o })));
  }

  async listOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]> {
    if (!this.#mine(venue, mode)) return await this.inner.listOrders(venue, mode);
    if (this.#allOrders === null) {
      const rows = await this.inner.listOrders(venue, mode);
      this.#allOrders = new Map(rows.map((o) => [o.id, o]));
    }
    return [...this.#allOrders.values()].sort(byCreated).map((o) => ({ ...o }));
  }

  async insertPosition(position: NewPosition): Promise<PositionRow> {
    const row = await this.inner.insertPosition(position);
    this.#rememberPosition(row);
    return { ...row };
  }

  async recordArmedEntry(armedId: string, position: NewPosition, order: OrderRow): Promise<ArmedEntryRows> {
    const rows = await this.inner.recordArmedEntry(armedId, position, order);
    this.#rememberPosition(rows.position);
    this.#remember(rows.order);
    return { position: { ...rows.position }, order: { ...rows.order } };
  }

  async updatePosition(id: string, patch: PositionPatch, now: Date): Promise<PositionRow> {
    const known = this.#positions.get(id);
    let row: PositionRow;
    if (known && this.inner.writePositionPatch) {
      await this.inner.writePositionPatch(id, patch, now);
      row = merged<PositionRow>(known, patch, now);
    } else {
      row = await this.inner.updatePosition(id, patch, now);
    }
    this.#rememberPosition(row);
    return { ...row };
  }

  listPositions(venue: Venue, mode: TradingMode, statuses: readonly PositionStatus[]): Promise<PositionRow[]> {
    if (!this.#mine(venue, mode) || !statuses.every(isActive)) return this.inner.listPositions(venue, mode, statuses);
    const rows = [...this.#positions.values()].filter((p) => statuses.includes(p.status)).sort(byOpened);
    return Promise.resolve(rows.map((p) => ({ ...p })));
  }

  insertTradeLog(row: TradeLogRow): Promise<void> {
    return this.inner.insertTradeLog(row);
  }

  dailyStats(mode: TradingMode, since: Date): Promise<DailyStats> {
    return this.inner.dailyStats(mode, since);
  }

  venueConnection(venue: Venue): Promise<VenueConnection> {
    return this.inner.venueConnection(venue);
  }

  acquireLease(functionName: string, venue: Venue, ttlSeconds: number): Promise<string | null> {
    return this.inner.acquireLease(functionName, venue, ttlSeconds);
  }

  releaseLease(runId: string, outcome: LeaseOutcome, summary: unknown, error: string | null): Promise<void> {
    return this.inner.releaseLease(runId, outcome, summary, error);
  }
}
