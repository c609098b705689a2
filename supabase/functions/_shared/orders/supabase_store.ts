/**
 * TradeStore over the tables, through supabase-js with the service role. PostgREST may return `numeric` columns as
 * strings; rows are normalized to numbers here so nothing above sees the difference.
 */
import { type Db, DbError, must } from "../db.ts";
import type { TablesUpdate } from "../database.types.ts";
import { toJson } from "../json.ts";
import type { TradingMode } from "../settings.ts";
import type { DailyStats, LeaseOutcome, NewPosition, OrderPatch, TradeStore } from "./store.ts";
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
  };
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
    const rows = must(
      `select non-final orders ${venue}`,
      await this.db.from("orders").select("*").eq("venue", venue).eq("mode", mode).in("order_status", NON_FINAL)
        .order("created_at", { ascending: true }),
    ) as Record<string, unknown>[];
    return rows.map(orderFromRow);
  }

  async listOrdersOfPositions(positionIds: readonly string[]): Promise<OrderRow[]> {
    const out: OrderRow[] = [];
    for (let i = 0; i < positionIds.length; i += IN_CHUNK) {
      const rows = must(
        "select orders of positions",
        await this.db.from("orders").select("*").in("position_id", positionIds.slice(i, i + IN_CHUNK))
          .order("created_at", { ascending: true }),
      ) as Record<string, unknown>[];
      out.push(...rows.map(orderFromRow));
    }
    return out;
  }

  async listOrders(venue: Venue, mode: TradingMode): Promise<OrderRow[]> {
    const rows = must(
      `select orders ${venue} ${mode}`,
      await this.db.from("orders").select("*").eq("venue", venue).eq("mode", mode)
        .order("created_at", { ascending: true }),
    ) as Record<string, unknown>[];
    return rows.map(orderFromRow);
  }

  async insertPosition(position: NewPosition): Promise<PositionRow> {
    const row = must(
      `insert positions ${position.venue} ${position.symbol}`,
      await this.db.from("positions").insert({ ...position, side: "long", status: "opening" }).select("*").single(),
    );
    return positionFromRow(row as unknown as Record<string, unknown>);
  }

  async updatePosition(id: string, patch: PositionPatch, _now: Date): Promise<PositionRow> {
    const row = must(
      `update positions ${id}`,
      await this.db.from("positions").update(patch).eq("id", id).select("*").single(),
    );
    return positionFromRow(row as unknown as Record<string, unknown>);
  }

  async listPositions(venue: Venue, mode: TradingMode, statuses: readonly PositionStatus[]): Promise<PositionRow[]> {
    const rows = must(
      `select positions ${venue}`,
      await this.db.from("positions").select("*").eq("venue", venue).eq("mode", mode).in("status", [...statuses])
        .order("opened_at", { ascending: true }),
    ) as Record<string, unknown>[];
    return rows.map(positionFromRow);
  }

  async insertTradeLog(row: TradeLogRow): Promise<void> {
    must(
      `insert trade_logs ${row.position_id}`,
      await this.db.from("trade_logs").upsert(row, { onConflict: "position_id", ignoreDuplicates: true }),
    );
  }

  async dailyStats(mode: TradingMode, since: Date): Promise<DailyStats> {
    const iso = since.toISOString();
    const opened = await this.db.from("positions").select("id", { count: "exact", head: true })
      .eq("mode", mode).gte("opened_at", iso).neq("status", "failed");
    if (opened.error) throw new DbError("count positions opened today", opened.error.message);
    const closed = must(
      "select positions closed today",
      await this.db.from("positions").select("realized_pnl").eq("mode", mode).gte("closed_at", iso)
        .not("realized_pnl", "is", null),
    ) as { realized_pnl: unknown }[];
    return {
      entries: opened.count ?? 0,
      realizedPnl: closed.reduce((sum, row) => sum + num(row.realized_pnl), 0),
    };
  }

  async latencyBandName(venue: Venue): Promise<string | null> {
    const row = must(
      `select exchange_connections ${venue}`,
      await this.db.from("exchange_connections").select("latency_band").eq("exchange_name", venue).maybeSingle(),
    ) as { latency_band: string | null } | null;
    return row?.latency_band ?? null;
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
