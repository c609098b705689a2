/** ArmedOrderStore over public.armed_orders (pre_armed.ts), through the service-role client. */
import { type Db, must, selectAllPages } from "../db.ts";
import type { TradingMode } from "../settings.ts";
import type { Venue } from "../exchange/venues.ts";
import type { ArmedOrderRow, ArmedOrderStore, NewArmedOrder } from "./pre_armed.ts";

/** PostgREST caps an `in.(…)` list by URL length. */
const IN_CHUNK = 100;

export class SupabaseArmedOrderStore implements ArmedOrderStore {
  constructor(private readonly db: Db) {}

  async armOrders(rows: readonly NewArmedOrder[]): Promise<ArmedOrderRow[]> {
    if (rows.length === 0) return [];
    const stored = must(
      `insert ${rows.length} armed orders`,
      await this.db.from("armed_orders").insert(rows.map((r) => ({ ...r, status: "armed" }))).select("*"),
    );
    return stored as unknown as ArmedOrderRow[];
  }

  async retireArmed(ids: readonly string[], reason: string, now: Date): Promise<void> {
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      must(
        "retire armed orders",
        await this.db.from("armed_orders")
          .update({ status: "retired", retire_reason: reason, retired_at: now.toISOString() })
          .in("id", ids.slice(i, i + IN_CHUNK)).eq("status", "armed").select("id"),
      );
    }
  }

  async listArmed(venue: Venue, mode: TradingMode): Promise<ArmedOrderRow[]> {
    // Paged past PostgREST's row cap: an armed id left out would stay armed, its order never adopted nor retired.
    const rows = await selectAllPages<Record<string, unknown>>(
      `select armed orders ${venue} ${mode}`,
      (from, to) =>
        this.db.from("armed_orders").select("*").eq("venue", venue).eq("mode", mode).eq("status", "armed")
          .order("armed_at", { ascending: true }).order("id", { ascending: true }).range(from, to),
    );
    return rows as unknown as ArmedOrderRow[];
  }
}
