/**
 * The trade store against real PostgREST: the batched write (apply_burst_writes, what a leased burst commits) lands
 * whole, answers the orders it recorded as rows with numbers, and fails whole; an armed entry the leased store
 * queued lands with its commit, its position as the store's memory made it.
 */
import assert from "node:assert/strict";
import { DbError } from "../../supabase/functions/_shared/db.ts";
import { LeasedVenueStore } from "../../supabase/functions/_shared/orders/leased_store.ts";
import { provisionalOrder } from "../../supabase/functions/_shared/orders/order_book.ts";
import { SupabaseTradeStore } from "../../supabase/functions/_shared/orders/supabase_store.ts";
import type { PositionRow } from "../../supabase/functions/_shared/orders/types.ts";
import { gatewayClient, serverKey, stackTest } from "../support/stack.ts";
import { withSql } from "../support/sql.ts";

stackTest("trade store: the batched write", { functions: [] }, async (t, stack) => {
  const store = new SupabaseTradeStore(gatewayClient(stack, serverKey(stack)));
  const now = new Date();
  await withSql(stack.databaseUrl, async (sql) => {
    const newPosition = { venue: "binance" as const, symbol: "ETH/USDT", mode: "testnet" as const };
    const entryIntent = (clientOrderId: string, positionId: string | null) => ({
      ...newPosition,
      client_order_id: clientOrderId,
      side: "buy" as const,
      type: "limit" as const,
      price: 3000,
      amount: 0.01,
      purpose: "entry" as const,
      position_id: positionId,
    });
    const position = await store.insertPosition({ ...newPosition, opened_at: now.toISOString() });
    const order = await store.insertOrder(entryIntent(`store-test-${now.getTime()}`, position.id), now);

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
        armedEntries: [],
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
            armedEntries: [],
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

    await t.step("an armed entry queued by the leased store lands with its commit, as memory had it", async () => {
      const clientOrderId = `store-armed-${now.getTime()}`;
      const [armed] = await sql<{ id: string }[]>`
        insert into public.armed_orders (client_order_id, venue, symbol, side, purpose, mode)
        values (${clientOrderId}, 'binance', 'ETH/USDT', 'buy', 'entry', 'testnet') returning id`;
      const leased = new LeasedVenueStore(store, "binance", "testnet");
      await leased.load();
      const sent = {
        ...provisionalOrder(entryIntent(clientOrderId, null), crypto.randomUUID(), now),
        order_status: "open" as const,
        exchange_order_id: "BN-armed",
      };
      const rows = await leased.recordArmedEntry(armed.id, { ...newPosition, opened_at: now.toISOString() }, sent);
      const before = await sql`select 1 from public.positions where id = ${rows.position.id}`;
      assert.equal(before.length, 0, "queued, not written");
      await leased.flush();
      const [stored] = await store.listPositions("binance", "testnet", ["opening"]).then((all) =>
        all.filter((p) => p.id === rows.position.id)
      );
      // The position memory made is the one the table holds (its defaults), apart from the clocks' texts.
      const withoutClocks = ({ updated_at: _u, opened_at, ...rest }: PositionRow) => ({
        ...rest,
        opened_at: Date.parse(opened_at),
      });
      const { created_at: _created, ...table } = stored as PositionRow & { created_at?: string };
      assert.deepEqual(withoutClocks(table), withoutClocks(rows.position));
      const [order] = await store.listOrdersOfPositions([rows.position.id]);
      assert.deepEqual([order.id, order.order_status, order.exchange_order_id], [sent.id, "open", "BN-armed"]);
      const [{ status }] = await sql<
        { status: string }[]
      >`select status from public.armed_orders where id = ${armed.id}`;
      assert.equal(status, "fired");
    });
  });
});
