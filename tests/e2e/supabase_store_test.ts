/**
 * The trade store against real PostgREST: the writes that send no row back (what a leased burst uses for rows it
 * holds) change exactly the row they name, and a write that changes no row is an error, not a silent success.
 */
import assert from "node:assert/strict";
import { DbError } from "../../supabase/functions/_shared/db.ts";
import { SupabaseTradeStore } from "../../supabase/functions/_shared/orders/supabase_store.ts";
import { gatewayClient, serverKey, stackTest } from "../support/stack.ts";
import { withSql } from "../support/sql.ts";

stackTest("trade store: writes without the row back", { functions: [] }, async (t, stack) => {
  const store = new SupabaseTradeStore(gatewayClient(stack, serverKey(stack)));
  const now = new Date();
  await withSql(stack.databaseUrl, async (sql) => {
    const position = await store.insertPosition({
      venue: "binance",
      symbol: "ETH/USDT",
      mode: "testnet",
      opened_at: now.toISOString(),
    });
    const order = await store.insertOrder({
      client_order_id: `store-test-${now.getTime()}`,
      venue: "binance",
      symbol: "ETH/USDT",
      side: "buy",
      type: "limit",
      price: 3000,
      amount: 0.01,
      purpose: "entry",
      position_id: position.id,
      mode: "testnet",
    }, now);

    await t.step("an order patch changes that row: status, fill, raw answer", async () => {
      await store.writeOrderPatch(order.id, {
        order_status: "filled",
        filled: 0.01,
        cost: 30,
        average: 3000,
        raw: { orderId: 7 },
      }, now);
      const [row] = await sql<{ order_status: string; filled: string; raw: unknown }[]>`
        select order_status, filled::text, raw from public.orders where id = ${order.id}`;
      assert.deepEqual([row.order_status, Number(row.filled), row.raw], ["filled", 0.01, { orderId: 7 }]);
    });

    await t.step("a position patch changes that row", async () => {
      await store.writePositionPatch(position.id, { status: "open", entry_qty: 0.01, entry_avg_px: 3000 }, now);
      const [row] = await sql<{ status: string; entry_qty: string }[]>`
        select status, entry_qty::text from public.positions where id = ${position.id}`;
      assert.deepEqual([row.status, Number(row.entry_qty)], ["open", 0.01]);
    });

    await t.step("a patch of a row that does not exist fails, naming the row", async () => {
      const missing = crypto.randomUUID();
      await assert.rejects(
        () => store.writeOrderPatch(missing, { order_status: "cancelled" }, now),
        (error) => error instanceof DbError && error.message.includes(missing) && /0 rows changed/.test(error.message),
      );
      await assert.rejects(
        () => store.writePositionPatch(missing, { status: "closed" }, now),
        (error) => error instanceof DbError && /0 rows changed/.test(error.message),
      );
    });
  });
});
