/**
 * The trade store against real PostgREST: the batched write (apply_burst_writes, what a leased burst commits) lands
 * whole, answers the orders it recorded as rows with numbers, and fails whole.
 */
import assert from "node:assert/strict";
import { DbError } from "../../supabase/functions/_shared/db.ts";
import { SupabaseTradeStore } from "../../supabase/functions/_shared/orders/supabase_store.ts";
import { gatewayClient, serverKey, stackTest } from "../support/stack.ts";
import { withSql } from "../support/sql.ts";

stackTest("trade store: the batched write", { functions: [] }, async (t, stack) => {
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

    const leg = (purpose: "take_profit" | "stop_loss", n: number) => ({
      client_order_id: `store-leg-${n}-${now.getTime()}`,
      venue: "binance" as const,
      symbol: "ETH/USDT",
      side: "sell" as const,
      type: purpose === "take_profit" ? "limit" as const : "stop" as const,
      price: purpose === "take_profit" ? 3010.5 : 2990,
      trigger_price: purpose === "stop_loss" ? 2995 : null,
      amount: 0.01,
      purpose,
      position_id: position.id,
      mode: "testnet" as const,
      list_client_id: `store-list-${now.getTime()}`,
      created_at: now.toISOString(),
    });

    await t.step("a batch: patches, a trade log and new orders in one call, the new rows answered", async () => {
      const rows = await store.applyWrites({
        orderPatches: [{
          id: order.id,
          patch: {
            order_status: "filled",
            filled: 0.01,
            cost: 30,
            average: 3000,
            raw: { orderId: 7 },
            last_error: null,
            fee_cost: 0.00001,
            fee_currency: "ETH",
          },
        }],
        positionPatches: [{
          id: position.id,
          patch: { status: "closing", entry_qty: 0.01, entry_avg_px: 3000, exit_reason: "take_profit" },
        }],
        tradeLogs: [],
        newOrders: [leg("take_profit", 1), leg("stop_loss", 2)],
      });
      assert.deepEqual(rows.map((r) => [r.purpose, r.order_status, r.price, r.amount, r.remaining, r.filled]), [
        ["take_profit", "pending_submit", 3010.5, 0.01, 0.01, 0],
        ["stop_loss", "pending_submit", 2990, 0.01, 0.01, 0],
      ], "numbers, not PostgREST's numeric strings");
      assert.equal(rows[1].trigger_price, 2995);
      const [stored] = await sql<
        {
          order_status: string;
          fee_currency: string;
          filled: string;
          raw: unknown;
          status: string;
          entry_qty: string;
        }[]
      >`
        select o.order_status, o.fee_currency, o.filled::text, o.raw, p.status, p.entry_qty::text
        from public.orders o join public.positions p on p.id = o.position_id where o.id = ${order.id}`;
      assert.deepEqual(
        [stored.order_status, stored.fee_currency, Number(stored.filled), stored.raw, stored.status],
        ["filled", "ETH", 0.01, { orderId: 7 }, "closing"],
      );
      assert.equal(Number(stored.entry_qty), 0.01);
    });

    await t.step("a batch with a missing row fails whole, naming the row", async () => {
      const missing = crypto.randomUUID();
      await assert.rejects(
        () =>
          store.applyWrites({
            orderPatches: [{ id: order.id, patch: { last_error: "should not land" } }],
            positionPatches: [{ id: missing, patch: { status: "closed" } }],
            tradeLogs: [],
            newOrders: [leg("take_profit", 3)],
          }),
        (error) => error instanceof DbError && error.message.includes(missing),
      );
      const [row] = await sql<{ last_error: string | null; legs: number }[]>`
        select last_error, (select count(*)::int from public.orders where position_id = ${position.id}) as legs
        from public.orders where id = ${order.id}`;
      assert.deepEqual([row.last_error, row.legs], [null, 3], "neither the patch nor the third leg landed");
    });
  });
});
