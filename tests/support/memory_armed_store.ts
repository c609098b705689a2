import type {
  ArmedOrderRow,
  ArmedOrderStore,
  NewArmedOrder,
} from "../../supabase/functions/_shared/orders/pre_armed.ts";
import type { Venue } from "../../supabase/functions/_shared/exchange/venues.ts";
import type { TradingMode } from "../../supabase/functions/_shared/settings.ts";

/** ArmedOrderStore in memory, with the table's unique client order id; counts writes so tests see the batching. */
export class MemoryArmedOrderStore implements ArmedOrderStore {
  readonly rows = new Map<string, ArmedOrderRow>();
  writes = 0;
  #next = 1;

  armOrders(rows: readonly NewArmedOrder[]): Promise<ArmedOrderRow[]> {
    this.writes += 1;
    const ids = new Set([...this.rows.values()].map((r) => r.client_order_id));
    for (const row of rows) {
      if (ids.has(row.client_order_id)) {
        return Promise.reject(new Error(`duplicate client_order_id ${row.client_order_id}`));
      }
      ids.add(row.client_order_id);
    }
    const stored = rows.map((row) => ({
      ...row,
      id: `armed-${this.#next++}`,
      status: "armed" as const,
      retire_reason: null,
      fired_at: null,
      retired_at: null,
    }));
    for (const row of stored) this.rows.set(row.id, row);
    return Promise.resolve(stored.map((r) => ({ ...r })));
  }

  /** armed → fired, as record_armed_entry does (wire MemoryTradeStore.onArmedFired to it). */
  markFired(ids: readonly string[], now: Date): Promise<void> {
    this.writes += 1;
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row?.status === "armed") this.rows.set(id, { ...row, status: "fired", fired_at: now.toISOString() });
    }
    return Promise.resolve();
  }

  retireArmed(ids: readonly string[], reason: string, now: Date): Promise<void> {
    this.writes += 1;
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row?.status === "armed") {
        this.rows.set(id, { ...row, status: "retired", retire_reason: reason, retired_at: now.toISOString() });
      }
    }
    return Promise.resolve();
  }

  listArmed(venue: Venue, mode: TradingMode): Promise<ArmedOrderRow[]> {
    return Promise.resolve(
      [...this.rows.values()].filter((r) => r.venue === venue && r.mode === mode && r.status === "armed")
        .map((r) => ({ ...r })),
    );
  }
}
