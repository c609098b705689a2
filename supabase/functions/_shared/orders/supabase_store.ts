/**
 * TradeStore over the tables, through supabase-js with the service role. PostgREST may return `numeric` columns as
 * strings; rows are normalized to numbers here so nothing above sees the difference.
 */
import { type Db, DbError, must, selectAllPages } from "../db.ts";
import type { Json, TablesUpdate } from "../database.types.ts";
import { toJson } from "../json.ts";
import type { TradingMode } from "../settings.ts";
import type {
  ArmedEntryRows,
  ArmedEntryWrite,
  DailyStats,
  LeaseOutcome,
  NewPosition,
  OrderPatch,
  StoreWrites,
  TradeStore,
  VenueConnection,
} from "./store.ts";
import type { OrderIntent, OrderRow, PositionPatch, PositionRow, PositionStatus, TradeLogRow } from "./types.ts";
import type { Venue } from "../exchange/venues.ts";
import { parseNumericText } from "../numeric_text.ts";

const NON_FINAL = ["pending_submit", "open", "partially_filled", "unknown"];

function num(value: unknown): number {
  return typeof value === "string" ? parseNumericText(value) ?? Number.NaN : (value as number);
}
function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

/** An order patch as the table takes it: the exchange's raw answer goes in as JSON. */
function toOrderUpdate(patch: OrderPatch): TablesUpdate<"orders"> {
  const { raw, ...rest } = patch;
  return "raw" in patch ? { ...rest, raw: toJson(raw) } : rest;
}

function orderFromRow(row: Record<string, unknown>): OrderRow {
  return {
    ...(row as unknown as OrderRow),
    price: numOrNull(row.price),
    amount: num(row.amount),
    filled: num(row.filled ?? 0),
    remaining: numOrNull(row.remaining),
    average: numOrNull(row.average),
    fee_rate_used: numOrNull(row.fee_rate_used),
    fee_valued_usd: numOrNull(row.fee_valued_usd),
    cost: num(row.cost ?? 0),
    fee_cost: numOrNull(row.fee_cost),
    trigger_price: numOrNull(row.trigger_price),
  };
}

function positionFromRow(row: Record<string, unknown>): PositionRow {
  return {
    ...(row as unknown as PositionRow),
    entry_qty: num(row.entry_qty),
    entry_avg_px: numOrNull(row.entry_avg_px),
    entry_fees_usd: num(row.entry_fees_usd),
    exit_qty: num(row.exit_qty),
    exit_avg_px: numOrNull(row.exit_avg_px),
    exit_fees_usd: num(row.exit_fees_usd),
    realized_pnl: numOrNull(row.realized_pnl),
    dust_qty: numOrNull(row.dust_qty),
    dust_cost_usd: numOrNull(row.dust_cost_usd),
    dust_px: numOrNull(row.dust_px),
    dust_value_usd: numOrNull(row.dust_value_usd),
  };
}

/** An armed entry's order for record_armed_entry (position_id is the function's to set, updated_at the table's). */
function armedOrderArg(order: OrderRow): Json {
  const { updated_at: _updatedAt, position_id: _positionId, ...fields } = order;
  return toJson(fields);
}

/** One element of apply_burst_writes' p_armed_entries: the position with the id the burst made. */
function armedEntryArgs({ armedId, position, order }: ArmedEntryWrite) {
  const { id, venue, symbol, mode, opened_at } = position;
  return { armed_id: armedId, position: { id, venue, symbol, mode, opened_at }, order: armedOrderArg(order) };
}

/** PostgREST caps an `in.(…)` list by URL length; positions per venue are few, but stay safe. */
const IN_CHUNK = 100;

export class SupabaseTradeStore implements TradeStore {
  constructor(private readonly db: Db) {}

  async insertOrder(intent: OrderIntent, now: Date): Promise<OrderRow> {
    const row = must(
      `insert orders ${intent.client_order_id}`,
      await this.db.from("orders").insert({
        ...intent,
        order_status: "pending_submit",
        filled: 0,
        remaining: intent.amount,
        cost: 0,
        created_at: now.toISOString(),
      }).select("*").single(),
    );
    return orderFromRow(row as unknown as Record<string, unknown>);
  }

  async updateOrder(id: string, patch: OrderPatch, _now: Date): Promise<OrderRow> {
    const row = must(
      `update orders ${id}`,
      await this.db.from("orders").update(toOrderUpdate(patch)).eq("id", id).select("*").single(),
    );
    return orderFromRow(row as unknown as Record<string, unknown>);
  }

  async listNonFinalOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]> {
    const rows = await selectAllPages<Record<string, unknown>>(
      `select non-final orders ${venue}`,
      (from, to) =>
        this.db.from("orders").select("*").eq("venue", venue).eq("mode", mode).in("order_status", NON_FINAL)
          .order("created_at", { ascending: true }).order("id", { ascending: true }).range(from, to),
    );
    return rows.map(orderFromRow);
  }

  async listOrdersOfPositions(positionIds: readonly string[]): Promise<OrderRow[]> {
    const out: OrderRow[] = [];
    for (let i = 0; i < positionIds.length; i += IN_CHUNK) {
      const chunk = positionIds.slice(i, i + IN_CHUNK);
      const rows = await selectAllPages<Record<string, unknown>>(
        "select orders of positions",
        (from, to) =>
          this.db.from("orders").select("*").in("position_id", chunk)
            .order("created_at", { ascending: true }).order("id", { ascending: true }).range(from, to),
      );
      out.push(...rows.map(orderFromRow));
    }
    return out;
  }

  async listOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]> {
    // The paper ledger sums every order: a cut answer would forget fills (issue 14).
    const rows = await selectAllPages<Record<string, unknown>>(
      `select orders ${venue} ${mode}`,
      (from, to) =>
        this.db.from("orders").select("*").eq("venue", venue).eq("mode", mode)
          .order("created_at", { ascending: true }).order("id", { ascending: true }).range(from, to),
    );
    return rows.map(orderFromRow);
  }

  async insertPosition(position: NewPosition): Promise<PositionRow> {
    const row = must(
      `insert positions ${position.venue} ${position.symbol}`,
      await this.db.from("positions").insert({ ...position, side: "long", status: "opening" }).select("*").single(),
    );
    return positionFromRow(row as unknown as Record<string, unknown>);
  }

  async recordArmedEntry(armedId: string, position: NewPosition, order: OrderRow): Promise<ArmedEntryRows> {
    const rows = must(
      `record_armed_entry ${order.client_order_id}`,
      await this.db.rpc("record_armed_entry", {
        p_armed_id: armedId,
        p_position: toJson(position),
        p_order: armedOrderArg(order),
      }),
    ) as { position?: Record<string, unknown>; order?: Record<string, unknown> } | null;
    if (!rows?.position || !rows.order) throw new Error(`record_armed_entry ${order.client_order_id}: empty answer`);
    return { position: positionFromRow(rows.position), order: orderFromRow(rows.order) };
  }

  async updatePosition(id: string, patch: PositionPatch, _now: Date): Promise<PositionRow> {
    const row = must(
      `update positions ${id}`,
      await this.db.from("positions").update(patch).eq("id", id).select("*").single(),
    );
    return positionFromRow(row as unknown as Record<string, unknown>);
  }

  async listPositions(venue: Venue, mode: TradingMode, statuses: readonly PositionStatus[]): Promise<PositionRow[]> {
    const rows = await selectAllPages<Record<string, unknown>>(
      `select positions ${venue}`,
      (from, to) =>
        this.db.from("positions").select("*").eq("venue", venue).eq("mode", mode).in("status", [...statuses])
          .order("opened_at", { ascending: true }).order("id", { ascending: true }).range(from, to),
    );
    return rows.map(positionFromRow);
  }

  async insertTradeLog(row: TradeLogRow): Promise<void> {
    must(
      `insert trade_logs ${row.position_id}`,
      await this.db.from("trade_logs").upsert(row, { onConflict: "position_id", ignoreDuplicates: true }),
    );
  }

  async applyWrites(writes: StoreWrites): Promise<OrderRow[]> {
    // Plain rows of numbers, strings and nulls (raw made JSON by toOrderUpdate): sent as they are, not copied again.
    const json = (value: unknown) => value as Json;
    const answer = must(
      "apply_burst_writes",
      await this.db.rpc("apply_burst_writes", {
        p_armed_entries: json(writes.armedEntries.map(armedEntryArgs)),
        p_order_patches: json(writes.orderPatches.map(({ id, patch }) => ({ id, patch: toOrderUpdate(patch) }))),
        p_position_patches: json(writes.positionPatches),
        p_trade_logs: json(writes.tradeLogs),
        p_new_orders: json(writes.newOrders),
      }),
    ) as { orders?: Record<string, unknown>[]; armed_entries?: unknown } | null;
    const rows = answer?.orders ?? [];
    if (rows.length !== writes.newOrders.length) {
      throw new DbError("apply_burst_writes", `${rows.length} orders recorded, expected ${writes.newOrders.length}`);
    }
    if (answer?.armed_entries !== writes.armedEntries.length) {
      throw new DbError(
        "apply_burst_writes",
        `${answer?.armed_entries} armed entries recorded, expected ${writes.armedEntries.length}`,
      );
    }
    return rows.map(orderFromRow);
  }

  async dailyStats(mode: TradingMode, since: Date): Promise<DailyStats> {
    // Aggregated in SQL: one answer, whatever the row cap (see daily_trade_stats in the migrations).
    const stats = must(
      "daily_trade_stats",
      await this.db.rpc("daily_trade_stats", { p_mode: mode, p_since: since.toISOString() }),
    ) as { entries?: unknown; realized_pnl?: unknown; open_positions?: unknown } | null;
    return {
      entries: num(stats?.entries),
      realizedPnl: num(stats?.realized_pnl),
      openPositions: num(stats?.open_positions),
    };
  }

  async venueConnection(venue: Venue): Promise<VenueConnection> {
    const row = must(
      `select exchange_connections ${venue}`,
      await this.db.from("exchange_connections").select("latency_band, is_active").eq("exchange_name", venue)
        .maybeSingle(),
    ) as { latency_band: string | null; is_active: boolean | null } | null;
    // A venue without a row was never configured off: it trades as before.
    return { latencyBand: row?.latency_band ?? null, isActive: row?.is_active !== false };
  }

  async acquireLease(functionName: string, venue: Venue, ttlSeconds: number): Promise<string | null> {
    const id = must(
      `acquire_venue_lease ${venue}`,
      await this.db.rpc("acquire_venue_lease", {
        p_function: functionName,
        p_venue: venue,
        p_ttl_seconds: ttlSeconds,
      }),
    ) as string | null;
    return id ?? null;
  }

  async releaseLease(runId: string, outcome: LeaseOutcome, summary: unknown, error: string | null): Promise<void> {
    must(
      `release_venue_lease ${runId}`,
      await this.db.rpc("release_venue_lease", {
        p_run_id: runId,
        p_outcome: outcome,
        p_summary: toJson(summary),
        ...(error === null ? {} : { p_error: error }),
      }),
    );
  }
}
