/**
 * The tables a burst reads and writes, as one narrow interface. The real one is supabase-js with the service role
 * (supabase_store.ts); unit tests use the in-memory one (memory_store.ts). A burst wraps it in leased_store.ts, which
 * keeps the leased venue's working orders and positions in memory between ticks and commits its writes in batches.
 */
import type { TradingMode } from "../settings.ts";
import type { OrderIntent, OrderRow, PositionPatch, PositionRow, PositionStatus, TradeLogRow } from "./types.ts";
import type { Venue } from "../exchange/venues.ts";

/** Fields `applyExchangeOrder` and the reconciler may change on an order. */
export type OrderPatch = Partial<
  Pick<
    OrderRow,
    | "exchange_order_id"
    | "exchange_list_id"
    | "order_status"
    | "filled"
    | "remaining"
    | "average"
    | "cost"
    | "fee_cost"
    | "fee_currency"
    | "fee_rate_used"
    | "fee_valued_usd"
    | "last_error"
    | "raw"
    | "submitted_at"
    | "closed_at"
  >
>;

export interface NewPosition {
  venue: Venue;
  symbol: string;
  mode: TradingMode;
  opened_at: string;
}

export interface ArmedEntryRows {
  position: PositionRow;
  order: OrderRow;
}

export interface DailyStats {
  /**
   * Entries sent since `since`: entry orders recorded and not refused by the venue (an entry that timed out unfilled
   * still counts towards the daily cap).
   */
  entries: number;
  /** Σ realized_pnl of positions closed since `since`. */
  realizedPnl: number;
  /** Active positions (opening, open, closing) of the mode on every venue, now: max_open_positions is global. */
  openPositions: number;
}

export interface VenueConnection {
  /** The current latency band name, null when never sampled. */
  latencyBand: string | null;
  /** exchange_connections.is_active: false means no new entries; open positions are still managed and closed. */
  isActive: boolean;
}

export type LeaseOutcome = "ok" | "partial" | "error" | "skipped";

/** An order to record as pending_submit (what insertOrder writes), with the time it was decided. */
export type NewOrderRow = OrderIntent & { created_at: string };

/**
 * An armed entry's rows as the burst made them (`recordArmedEntry`, queued): the position with the id the burst gave
 * it, and the entry order (position_id set to it).
 */
export interface ArmedEntryWrite {
  armedId: string;
  position: PositionRow;
  order: OrderRow;
}

/** Writes a burst queued, for one transaction (`apply_burst_writes`). */
export interface StoreWrites {
  /** Recorded first: the patches, trade logs and new orders of the same batch may refer to their rows. */
  armedEntries: ArmedEntryWrite[];
  orderPatches: { id: string; patch: OrderPatch }[];
  positionPatches: { id: string; patch: PositionPatch }[];
  tradeLogs: TradeLogRow[];
  newOrders: NewOrderRow[];
}

export interface TradeStore {
  /** Inserts the order as `pending_submit` and returns the stored row. Throws when it cannot be recorded. */
  insertOrder(intent: OrderIntent, now: Date): Promise<OrderRow>;
  updateOrder(id: string, patch: OrderPatch, now: Date): Promise<OrderRow>;
  /** Orders of a venue and mode whose status is not final (pending_submit, open, partially_filled, unknown). */
  listNonFinalOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]>;
  /** Every order (final or not) belonging to these positions. */
  listOrdersOfPositions(positionIds: readonly string[]): Promise<OrderRow[]>;
  /** Every order of a venue in a mode (the paper ledger sums them). */
  listOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]>;

  insertPosition(position: NewPosition): Promise<PositionRow>;
  /**
   * An armed entry after its send (`record_armed_entry`): the position, the entry order as `order` says (its id and
   * status already decided; position_id is set by the store) and the armed id marked fired, in one write. A store
   * that queues writes (the leased store) queues them for its next commit: the armed row is the durable record until
   * then.
   */
  recordArmedEntry(armedId: string, position: NewPosition, order: OrderRow): Promise<ArmedEntryRows>;
  updatePosition(id: string, patch: PositionPatch, now: Date): Promise<PositionRow>;
  listPositions(venue: Venue, mode: TradingMode, statuses: readonly PositionStatus[]): Promise<PositionRow[]>;

  /** Idempotent on position_id: a second write for the same position is ignored. */
  insertTradeLog(row: TradeLogRow): Promise<void>;

  /**
   * Applies the writes in one transaction, all or nothing: armed entries' rows, patches of rows that must exist, trade
   * logs (idempotent as above), new orders; returns the new orders' rows in the order given. Optional: a store
   * without it takes each write on its own (the leased store then writes through).
   */
  applyWrites?(writes: StoreWrites): Promise<OrderRow[]>;
  /** For a store that queues writes (the leased store): every write queued so far has reached the tables. */
  flush?(): Promise<void>;
  /**
   * For a store that queues writes: a tick's commit, which may leave young armed entries' rows queued for a later
   * commit and, unless `waitForEarlier`, does not wait for commits under way when it has nothing of its own to send
   * (LeasedVenueStore.commitTick).
   */
  commitTick?(now: Date, options: { waitForEarlier: boolean }): Promise<void>;
  /** For a store that queues writes: throws when a commit failed (its memory is then ahead of the tables). */
  throwIfBehind?(): void;

  /** Counters since `since` (00:00 UTC) over all venues of the mode, straight from the tables. */
  dailyStats(mode: TradingMode, since: Date): Promise<DailyStats>;
  /** The venue's row in exchange_connections: its latency band and whether it may open new positions. */
  venueConnection(venue: Venue): Promise<VenueConnection>;

  /** `acquire_venue_lease`: the run id, or null when another burst holds the venue. */
  acquireLease(functionName: string, venue: Venue, ttlSeconds: number): Promise<string | null>;
  releaseLease(runId: string, outcome: LeaseOutcome, summary: unknown, error: string | null): Promise<void>;
}
