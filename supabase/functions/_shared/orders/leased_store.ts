/**
 * The tables as the burst holding a venue's lease sees them. While it holds the lease no other burst writes that
 * venue's orders or positions, so after one read at the start it keeps them in memory, and reads of the leased venue
 * and mode (non-final orders, active positions and their orders, the paper ledger's order list) are answered from
 * memory instead of a round trip per tick.
 *
 * Writes, where the tables take a batch (`applyWrites`): a change to a row held in memory (an order update, the
 * figures it moves on a position), a trade log and an armed entry's rows (its position's id made here; the armed row
 * is the durable record until they land) are queued and go to the tables together, in one transaction, at
 * the next commit: when an order is recorded (insertOrder: the record before a send carries every change queued
 * before it, so a position marked closing is written no later than its exit order), at a tick's end (`commitTick`,
 * where young armed entries' rows alone may wait for a commit with more to carry), at `flush()` (before the lease
 * ends), and before anything that passes through to the tables, so no read there misses a queued change. Commits run
 * one at a time, in order. A commit that fails leaves memory ahead of the tables: every later write and flush then
 * fails too, so the burst stops and the next one starts from the tables and the venue (reconciliation). A store
 * without `applyWrites` is written through, each write first.
 *
 * Anything else (other venues, other modes, daily stats, leases) passes through.
 */
import type { TradingMode } from "../settings.ts";
import { isFinalStatus } from "../trading/lifecycle.ts";
import { DbError } from "../db.ts";
import { describeError } from "../describe_error.ts";
import type {
  ArmedEntryRows,
  ArmedEntryWrite,
  DailyStats,
  LeaseOutcome,
  NewOrderRow,
  NewPosition,
  OrderPatch,
  StoreWrites,
  TradeStore,
  VenueConnection,
} from "./store.ts";
import {
  ACTIVE_POSITION_STATUSES,
  byCreated,
  type OrderIntent,
  type OrderRow,
  type PositionPatch,
  type PositionRow,
  type PositionStatus,
  type TradeLogRow,
} from "./types.ts";
import type { Venue } from "../exchange/venues.ts";

/**
 * How long an armed entry's rows may wait in the queue for a commit that has other writes to carry (an entry's fill
 * usually comes within a second or two and brings its patches and protection legs): two commits become one, and a
 * crash meanwhile leaves the entry armed, adopted by the next burst like any sent before a crash.
 */
export const ARMED_ROWS_LINGER_MS = 2_000;

const isActive = (status: PositionStatus) => ACTIVE_POSITION_STATUSES.includes(status);
const byOpened = (a: PositionRow, b: PositionRow) => Date.parse(a.opened_at) - Date.parse(b.opened_at);

/**
 * A row after a patch, as the table now holds it: the patch's defined fields over the row, updated_at moved (the
 * table's trigger sets it to the database's clock; ours differs by the clock skew, and nothing decides on it).
 */
function merged<T extends { updated_at: string }>(row: T, patch: Partial<T>, now: Date): T {
  return { ...row, ...definedOf(patch), updated_at: now.toISOString() };
}

/** The patch's defined fields (what JSON would send). */
function definedOf<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

interface QueuedInsert {
  row: NewOrderRow;
  resolve: (row: OrderRow) => void;
  reject: (error: unknown) => void;
}

/**
 * A position as record_armed_entry makes it (the table's defaults): opening, nothing filled yet, with the id the burst
 * gave it so later writes can refer to it before it reaches the table.
 */
function openingPosition(position: NewPosition, id: string, now: string): PositionRow {
  return {
    ...position,
    id,
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
    updated_at: now,
    needs_attention: false,
    attention: null,
    dust_qty: null,
    dust_cost_usd: null,
    dust_px: null,
    dust_priced_at: null,
    dust_price_source: null,
    dust_value_usd: null,
  };
}

/** Writes waiting for the next commit; patches of one row merged (the last value of a field wins). */
class Queue {
  readonly armedEntries: ArmedEntryWrite[] = [];
  readonly orders = new Map<string, OrderPatch>();
  readonly positions = new Map<string, PositionPatch>();
  readonly tradeLogs: TradeLogRow[] = [];
  readonly inserts: QueuedInsert[] = [];

  get changes(): number {
    return this.armedEntries.length + this.orders.size + this.positions.size + this.tradeLogs.length;
  }

  get empty(): boolean {
    return this.changes === 0 && this.inserts.length === 0;
  }

  /**
   * Armed entries' rows are all there is (their armed rows already record them), each opened after `since` (ms since
   * the epoch).
   */
  onlyArmedEntriesAfter(since: number): boolean {
    return this.armedEntries.length === this.changes && this.inserts.length === 0 &&
      this.armedEntries.every((entry) => Date.parse(entry.position.opened_at) > since);
  }

  writes(): StoreWrites {
    return {
      armedEntries: this.armedEntries,
      orderPatches: [...this.orders].map(([id, patch]) => ({ id, patch })),
      positionPatches: [...this.positions].map(([id, patch]) => ({ id, patch })),
      tradeLogs: this.tradeLogs,
      newOrders: this.inserts.map((i) => i.row),
    };
  }
}

export class LeasedVenueStore implements TradeStore {
  /** Active positions of the venue and mode. */
  readonly #positions = new Map<string, PositionRow>();
  /** Non-final orders of the venue and mode, plus every order of an active position. */
  readonly #orders = new Map<string, OrderRow>();
  /** Every order of the venue and mode (the paper ledger sums them); loaded on first use. */
  #allOrders: Map<string, OrderRow> | null = null;
  #loaded = false;
  #queue = new Queue();
  /** The last commit (commits chain on it, so they reach the tables in order). */
  #committed: Promise<void> = Promise.resolve();
  /** Set when a commit with changes failed: memory is ahead of the tables from then on. */
  #behind: DbError | null = null;

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

  get #batching(): boolean {
    return this.inner.applyWrites !== undefined;
  }

  #mustNotBeBehind(): void {
    if (this.#behind) throw this.#behind;
  }

  /**
   * The row is ours alone while the lease holds: the change joins the queue (merged with the row's earlier ones) and
   * the caller gets the row as it will be.
   */
  #queuePatch<Row extends { id: string; updated_at: string }, Patch extends Partial<Row>>(
    queue: Map<string, Patch>,
    known: Row,
    patch: Patch,
    now: Date,
  ): Row {
    this.#mustNotBeBehind();
    queue.set(known.id, { ...queue.get(known.id), ...definedOf(patch) } as Patch);
    return merged<Row>(known, patch, now);
  }

  /** Sends what is queued now, after the commits before it. */
  #commit(): Promise<void> {
    const run = this.#committed.then(() => this.#send());
    this.#committed = run.catch(() => {});
    return run;
  }

  async #send(): Promise<void> {
    const queue = this.#queue;
    if (queue.empty) return;
    this.#queue = new Queue();
    try {
      this.#mustNotBeBehind();
      const rows = await this.inner.applyWrites!(queue.writes());
      queue.inserts.forEach((insert, i) => {
        const row = rows[i];
        if (row) insert.resolve(row);
        else insert.reject(new DbError("apply_burst_writes", `no row for ${insert.row.client_order_id}`));
      });
    } catch (error) {
      for (const insert of queue.inserts) insert.reject(error);
      if (queue.changes > 0 && !this.#behind) {
        this.#behind = new DbError(
          "apply_burst_writes",
          `${queue.changes} queued changes did not reach the tables (${describeError(error)}); the burst's memory is ` +
            "ahead of them",
        );
      }
      throw this.#behind ?? error;
    }
  }

  /** Every write queued so far has reached the tables (write-through stores have nothing queued). */
  async flush(): Promise<void> {
    this.#mustNotBeBehind();
    if (this.#batching) await this.#commit();
  }

  /**
   * A tick's commit: what is queued reaches the tables, unless it is only armed entries' rows younger than
   * ARMED_ROWS_LINGER_MS, which ride with a later commit (their fill's, the protection legs recorded before their send,
   * the lease's last flush); their armed rows are the record until then. With nothing of its own to send it waits for
   * the commits under way only when `waitForEarlier` says so.
   */
  async commitTick(now: Date, options: { waitForEarlier: boolean }): Promise<void> {
    this.#mustNotBeBehind();
    if (!this.#batching) return;
    if (!this.#queue.onlyArmedEntriesAfter(now.getTime() - ARMED_ROWS_LINGER_MS)) return await this.#commit();
    if (!options.waitForEarlier) return;
    await this.#committed;
    this.#mustNotBeBehind();
  }

  /** A commit failed: memory is ahead of the tables, and this throws what every later write and flush would. */
  throwIfBehind(): void {
    this.#mustNotBeBehind();
  }

  /** A call that reaches the tables directly: after the queued writes, so it sees (and follows) them. */
  async #afterQueued<T>(call: () => Promise<T>): Promise<T> {
    await this.flush();
    return await call();
  }

  async insertOrder(intent: OrderIntent, now: Date): Promise<OrderRow> {
    let row: OrderRow;
    if (this.#batching) {
      this.#mustNotBeBehind();
      const recorded = new Promise<OrderRow>((resolve, reject) => {
        this.#queue.inserts.push({ row: { ...intent, created_at: now.toISOString() }, resolve, reject });
      });
      // The insert's own commit reports its failure through `recorded`.
      this.#commit().catch(() => {});
      row = await recorded;
    } else {
      row = await this.inner.insertOrder(intent, now);
    }
    this.#remember(row);
    return { ...row };
  }

  async updateOrder(id: string, patch: OrderPatch, now: Date): Promise<OrderRow> {
    const known = this.#orders.get(id) ?? this.#allOrders?.get(id);
    const row = known && this.#batching
      ? this.#queuePatch(this.#queue.orders, known, patch, now)
      : await this.#afterQueued(() => this.inner.updateOrder(id, patch, now));
    this.#remember(row);
    return { ...row };
  }

  listNonFinalOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]> {
    if (!this.#mine(venue, mode)) return this.#afterQueued(() => this.inner.listNonFinalOrders(venue, mode));
    const rows = [...this.#orders.values()].filter((o) => !isFinalStatus(o.order_status)).sort(byCreated);
    return Promise.resolve(rows.map((o) => ({ ...o })));
  }

  listOrdersOfPositions(positionIds: readonly string[]): Promise<OrderRow[]> {
    if (!this.#loaded || !positionIds.every((id) => this.#positions.has(id))) {
      return this.#afterQueued(() => this.inner.listOrdersOfPositions(positionIds));
    }
    const ids = new Set(positionIds);
    const rows = [...this.#orders.values()].filter((o) => o.position_id !== null && ids.has(o.position_id));
    return Promise.resolve(rows.sort(byCreated).map((o) => ({ ...o })));
  }

  async listOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]> {
    if (!this.#mine(venue, mode)) return await this.#afterQueued(() => this.inner.listOrders(venue, mode));
    if (this.#allOrders === null) {
      const rows = await this.#afterQueued(() => this.inner.listOrders(venue, mode));
      this.#allOrders = new Map(rows.map((o) => [o.id, o]));
    }
    return [...this.#allOrders.values()].sort(byCreated).map((o) => ({ ...o }));
  }

  async insertPosition(position: NewPosition): Promise<PositionRow> {
    const row = await this.#afterQueued(() => this.inner.insertPosition(position));
    this.#rememberPosition(row);
    return { ...row };
  }

  async recordArmedEntry(armedId: string, position: NewPosition, order: OrderRow): Promise<ArmedEntryRows> {
    if (this.#batching) {
      // Queued for the next commit (the tick's, or an order recorded before its send): until then the armed row is
      // the durable record, and a commit that fails leaves it armed for the next burst to adopt.
      this.#mustNotBeBehind();
      const opened = openingPosition(position, crypto.randomUUID(), order.updated_at);
      const entry = { ...order, position_id: opened.id };
      this.#queue.armedEntries.push({ armedId, position: opened, order: entry });
      this.#rememberPosition(opened);
      this.#remember(entry);
      return { position: { ...opened }, order: { ...entry } };
    }
    const rows = await this.#afterQueued(() => this.inner.recordArmedEntry(armedId, position, order));
    this.#rememberPosition(rows.position);
    this.#remember(rows.order);
    return { position: { ...rows.position }, order: { ...rows.order } };
  }

  async updatePosition(id: string, patch: PositionPatch, now: Date): Promise<PositionRow> {
    const known = this.#positions.get(id);
    const row = known && this.#batching
      ? this.#queuePatch(this.#queue.positions, known, patch, now)
      : await this.#afterQueued(() => this.inner.updatePosition(id, patch, now));
    this.#rememberPosition(row);
    return { ...row };
  }

  listPositions(venue: Venue, mode: TradingMode, statuses: readonly PositionStatus[]): Promise<PositionRow[]> {
    if (!this.#mine(venue, mode) || !statuses.every(isActive)) {
      return this.#afterQueued(() => this.inner.listPositions(venue, mode, statuses));
    }
    const rows = [...this.#positions.values()].filter((p) => statuses.includes(p.status)).sort(byOpened);
    return Promise.resolve(rows.map((p) => ({ ...p })));
  }

  insertTradeLog(row: TradeLogRow): Promise<void> {
    if (!this.#batching) return this.inner.insertTradeLog(row);
    this.#mustNotBeBehind();
    this.#queue.tradeLogs.push(row);
    return Promise.resolve();
  }

  dailyStats(mode: TradingMode, since: Date): Promise<DailyStats> {
    return this.#afterQueued(() => this.inner.dailyStats(mode, since));
  }

  venueConnection(venue: Venue): Promise<VenueConnection> {
    return this.inner.venueConnection(venue);
  }

  acquireLease(functionName: string, venue: Venue, ttlSeconds: number): Promise<string | null> {
    return this.inner.acquireLease(functionName, venue, ttlSeconds);
  }

  releaseLease(runId: string, outcome: LeaseOutcome, summary: unknown, error: string | null): Promise<void> {
    return this.#afterQueued(() => this.inner.releaseLease(runId, outcome, summary, error));
  }
}
