/**
 * The memory tables with a batch write (applyWrites, the real store's apply_burst_writes), applied in the order the
 * real function applies it, every batch kept; a LeasedVenueStore over them queues its changes and commits them.
 * A batch can be made to fail (`failNext`) or to wait (`hold`), as a database that is down or slow.
 */
import type { StoreWrites } from "../../supabase/functions/_shared/orders/store.ts";
import type { OrderRow } from "../../supabase/functions/_shared/orders/types.ts";
import { DbError } from "../../supabase/functions/_shared/db.ts";
import { MemoryTradeStore } from "./memory_store.ts";

export class BatchTables extends MemoryTradeStore {
  readonly batches: StoreWrites[] = [];
  /** The next applyWrites calls fail with this error. */
  failNext = 0;
  /** While set, every applyWrites call waits for it before it writes anything. */
  hold: Promise<void> | null = null;
  /** Armed ids the batches fired, in order. */
  readonly fired: string[] = [];

  constructor(private readonly clockMs: () => number) {
    super(clockMs);
  }

  async applyWrites(writes: StoreWrites): Promise<OrderRow[]> {
    this.batches.push(structuredClone(writes));
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new DbError("apply_burst_writes", "connection reset");
    }
    await (this.hold ?? Promise.resolve());
    const now = new Date(this.clockMs());
    // Armed entries first, as the function records them: the rest of the batch may refer to their rows.
    for (const { armedId, position, order } of writes.armedEntries) {
      if (this.orders.some((o) => o.client_order_id === order.client_order_id)) {
        throw new Error(`duplicate client_order_id ${order.client_order_id}`);
      }
      this.positions.push({ ...position });
      this.orders.push({ ...order });
      this.fired.push(armedId);
      await this.onArmedFired?.(armedId, now);
    }
    for (const { id, patch } of writes.orderPatches) await this.updateOrder(id, patch, now);
    for (const { id, patch } of writes.positionPatches) await this.updatePosition(id, patch, now);
    for (const row of writes.tradeLogs) await this.insertTradeLog(row);
    const rows: OrderRow[] = [];
    for (const row of writes.newOrders) rows.push(await this.insertOrder(row, new Date(row.created_at)));
    return rows;
  }
}
