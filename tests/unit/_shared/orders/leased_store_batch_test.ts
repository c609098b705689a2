/**
 * LeasedVenueStore over tables that take a batch (applyWrites, the real store's apply_burst_writes): changes to rows
 * it holds are queued and reach the tables in one call at the next commit (an order recorded, a flush, a call that
 * passes through), commits keep their order, and a failed commit stops every later write.
 */
import assert from "node:assert/strict";
import { ARMED_ROWS_LINGER_MS, LeasedVenueStore } from "../../../../supabase/functions/_shared/orders/leased_store.ts";
import { DbError } from "../../../../supabase/functions/_shared/db.ts";
import type { OrderIntent, OrderRow } from "../../../../supabase/functions/_shared/orders/types.ts";
import { provisionalOrder } from "../../../../supabase/functions/_shared/orders/order_book.ts";
import { orderIntent } from "../../../support/order_intent.ts";
import { BatchTables } from "../../../support/batch_tables.ts";

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
const at = (ms: number) => new Date(T0 + ms);
const intent = (positionId: string, overrides: Partial<OrderIntent> = {}) =>
  orderIntent({ position_id: positionId, ...overrides });

async function leasedWithEntry() {
  const tables = new BatchTables(() => T0);
  const position = await tables.insertPosition({
    venue: "binance",
    symbol: "ETH/USDT",
    mode: "testnet",
    opened_at: at(0).toISOString(),
  });
  const entry = await tables.insertOrder(intent(position.id), at(0));
  await tables.updateOrder(entry.id, { order_status: "open", exchange_order_id: "1" }, at(1));
  const leased = new LeasedVenueStore(tables, "binance", "testnet");
  await leased.load();
  return { tables, leased, position, entry };
}

const fill = { order_status: "filled" as const, filled: 0.05, remaining: 0, average: 3000, cost: 150 };

Deno.test("queued changes reach the tables in one batch at the next flush, merged per row", async () => {
  const { tables, leased, position, entry } = await leasedWithEntry();
  await leased.updateOrder(entry.id, { order_status: "partially_filled", filled: 0.02, average: 3000 }, at(2));
  await leased.updateOrder(entry.id, { ...fill, closed_at: at(3).toISOString() }, at(3));
  await leased.updatePosition(position.id, { status: "open", entry_qty: 0.05 }, at(3));
  assert.equal(tables.batches.length, 0, "nothing sent before the commit");
  assert.equal(tables.orders.find((o) => o.id === entry.id)?.order_status, "open", "the tables wait for it");
  assert.equal((await leased.listOrdersOfPositions([position.id]))[0].order_status, "filled", "memory does not");

  await leased.flush();
  assert.equal(tables.batches.length, 1);
  assert.deepEqual(tables.batches[0].orderPatches, [{
    id: entry.id,
    patch: { ...fill, closed_at: at(3).toISOString() },
  }], "two updates of one order, one patch: the later value of each field");
  assert.deepEqual(tables.batches[0].positionPatches, [{
    id: position.id,
    patch: { status: "open", entry_qty: 0.05 },
  }]);
  const stored = tables.orders.find((o) => o.id === entry.id)!;
  assert.deepEqual([stored.order_status, stored.filled, stored.exchange_order_id], ["filled", 0.05, "1"]);
  assert.equal(tables.positions.find((p) => p.id === position.id)?.status, "open");

  await leased.flush();
  assert.equal(tables.batches.length, 1, "an empty queue sends nothing");
});

Deno.test("an order recorded before its send carries every change queued before it, in the same call", async () => {
  const { tables, leased, position, entry } = await leasedWithEntry();
  await leased.updateOrder(entry.id, { ...fill, closed_at: at(2).toISOString() }, at(2));
  await leased.updatePosition(position.id, { status: "closing", exit_reason: "time_stop" }, at(2));
  await leased.insertTradeLog({
    venue: "binance",
    symbol: "ETH/USDT",
    side: "long",
    size_usd: 150,
    entry_px: 3000,
    exit_px: 3010,
    pnl: 0.4,
    dur_seconds: 2,
    ts: at(2).toISOString(),
    order_id: "2",
    order_status: "filled",
    position_id: position.id,
    fees_usd: 0.3,
  });
  // Both legs of a protection list recorded together, as the tracker does.
  const leg = (purpose: "take_profit" | "stop_loss") =>
    intent(position.id, { side: "sell", purpose, list_client_id: "sblist1", type: "limit", price: 3010 });
  const [takeProfit, stopLoss] = await Promise.all([
    leased.insertOrder(leg("take_profit"), at(3)),
    leased.insertOrder(leg("stop_loss"), at(3)),
  ]);
  assert.equal(tables.batches.length, 1, "changes, trade log and both new orders: one call");
  const [batch] = tables.batches;
  assert.deepEqual(
    [batch.orderPatches.length, batch.positionPatches.length, batch.tradeLogs.length, batch.newOrders.length],
    [1, 1, 1, 2],
  );
  assert.deepEqual(batch.newOrders.map((o) => o.purpose), ["take_profit", "stop_loss"]);
  assert.deepEqual([takeProfit.purpose, stopLoss.purpose], ["take_profit", "stop_loss"], "each answered its own row");
  assert.equal(tables.orders.find((o) => o.id === takeProfit.id)?.order_status, "pending_submit");
  assert.equal(tables.positions.find((p) => p.id === position.id)?.status, "closing");
  assert.equal(tables.tradeLogs.length, 1);
});

Deno.test("a call that passes through to the tables goes after the queued changes, so it reads them", async () => {
  const { tables, leased, position, entry } = await leasedWithEntry();
  await leased.updateOrder(entry.id, { ...fill, closed_at: at(2).toISOString() }, at(2));
  await leased.updatePosition(
    position.id,
    { status: "closed", realized_pnl: -2, closed_at: at(2).toISOString() },
    at(2),
  );
  // Closed: the position left memory, so its orders are read from the tables.
  const orders = await leased.listOrdersOfPositions([position.id]);
  assert.equal(orders[0].order_status, "filled", "the read saw the queued fill");
  const stats = await leased.dailyStats("testnet", at(-1000));
  assert.equal(stats.realizedPnl, -2, "today's PnL includes the close still queued a moment ago");
  assert.equal(tables.batches.length, 1);
});

Deno.test("a failed commit with changes stops every later write; a failed record alone does not", async () => {
  const { tables, leased, position, entry } = await leasedWithEntry();
  tables.failNext = 1;
  const lone = leased.insertOrder(intent(position.id), at(2));
  await assert.rejects(lone, DbError, "the record failed: its caller does not send");
  await leased.updateOrder(entry.id, { order_status: "cancelled", closed_at: at(3).toISOString() }, at(3));
  await leased.flush();
  assert.equal(tables.orders.find((o) => o.id === entry.id)?.order_status, "cancelled", "nothing was lost then");

  await leased.updatePosition(position.id, { status: "failed", closed_at: at(4).toISOString() }, at(4));
  tables.failNext = 1;
  await assert.rejects(leased.flush(), (error: unknown) => {
    assert.ok(error instanceof DbError);
    assert.match(error.message, /1 queued changes did not reach the tables \(.*connection reset\)/);
    return true;
  });
  // Memory is ahead of the tables now: nothing more is accepted, not even what would otherwise succeed.
  await assert.rejects(() => leased.updateOrder(entry.id, { last_error: "x" }, at(5)), /did not reach the tables/);
  await assert.rejects(() => leased.insertOrder(intent(position.id), at(5)), /did not reach the tables/);
  await assert.rejects(leased.flush(), /did not reach the tables/);
  assert.equal(tables.batches.length, 3, "no call after the failed one");
});

/** An armed entry as sendArmed hands it to the store after the send: the venue took it, nothing filled yet. */
function sentArmedEntry(ms: number): OrderRow {
  const provisional = provisionalOrder(orderIntent({ client_order_id: `armed${ms}` }), crypto.randomUUID(), at(ms));
  return { ...provisional, order_status: "open", exchange_order_id: `BN-${ms}`, submitted_at: at(ms).toISOString() };
}

const newPositionAt = (ms: number) => ({
  venue: "binance" as const,
  symbol: "ETH/USDT",
  mode: "testnet" as const,
  opened_at: at(ms).toISOString(),
});

Deno.test("an armed entry's rows make no call of their own: they reach the tables with the next commit", async () => {
  const { tables, leased } = await leasedWithEntry();
  const order = sentArmedEntry(10);
  const rows = await leased.recordArmedEntry("armed-1", newPositionAt(10), order);
  assert.equal(tables.batches.length, 0, "no call for the record");
  assert.equal(rows.order.position_id, rows.position.id, "the order refers to the position the store made");
  assert.deepEqual(
    [rows.position.status, rows.position.entry_qty, rows.position.opened_at, rows.order.order_status],
    ["opening", 0, at(10).toISOString(), "open"],
  );
  assert.ok(!tables.positions.some((p) => p.id === rows.position.id), "the tables wait for the commit");
  const active = await leased.listPositions("binance", "testnet", ["opening", "open", "closing"]);
  assert.ok(active.some((p) => p.id === rows.position.id), "memory has the position at once");

  // The fill and the protection leg it calls for, referring to the rows not yet in the tables: one call for all.
  await leased.updateOrder(rows.order.id, { ...fill, closed_at: at(11).toISOString() }, at(11));
  await leased.updatePosition(rows.position.id, { status: "open", entry_qty: 0.05, entry_avg_px: 3000 }, at(11));
  const leg = await leased.insertOrder(intent(rows.position.id, { side: "sell", purpose: "take_profit" }), at(12));
  assert.equal(tables.batches.length, 1);
  const [batch] = tables.batches;
  assert.deepEqual(batch.armedEntries.map((a) => [a.armedId, a.position.id, a.order.id]), [
    ["armed-1", rows.position.id, order.id],
  ]);
  assert.deepEqual(batch.orderPatches.map((p) => p.id), [order.id]);
  assert.deepEqual(batch.positionPatches.map((p) => p.id), [rows.position.id]);
  assert.deepEqual(batch.newOrders.map((o) => o.position_id), [rows.position.id]);
  assert.deepEqual(tables.fired, ["armed-1"]);
  const stored = tables.orders.find((o) => o.id === order.id)!;
  assert.deepEqual([stored.order_status, stored.position_id], ["filled", rows.position.id]);
  assert.equal(tables.positions.find((p) => p.id === rows.position.id)?.status, "open");
  assert.equal(leg.position_id, rows.position.id);
});

Deno.test("a commit that fails with an armed entry in it leaves the entry unrecorded and the store behind", async () => {
  const { tables, leased } = await leasedWithEntry();
  const rows = await leased.recordArmedEntry("armed-2", newPositionAt(20), sentArmedEntry(20));
  tables.failNext = 1;
  await assert.rejects(leased.flush(), /1 queued changes did not reach the tables/);
  assert.deepEqual(tables.fired, [], "the armed id is not fired: the next burst looks it up and adopts the order");
  assert.ok(!tables.positions.some((p) => p.id === rows.position.id));
  await assert.rejects(
    () => leased.recordArmedEntry("armed-3", newPositionAt(21), sentArmedEntry(21)),
    /did not reach the tables/,
    "nothing more is queued once memory is ahead of the tables",
  );
});

Deno.test("a tick's commit leaves young armed entries for a later commit and sends anything else", async () => {
  const { tables, leased, entry } = await leasedWithEntry();
  const rows = await leased.recordArmedEntry("armed-4", newPositionAt(30), sentArmedEntry(30));
  await leased.commitTick(at(1030), { waitForEarlier: false });
  await leased.commitTick(at(1030), { waitForEarlier: true });
  assert.equal(tables.batches.length, 0, "only a young armed entry queued: no call");
  assert.ok(!tables.positions.some((p) => p.id === rows.position.id));
  await leased.commitTick(at(30 + ARMED_ROWS_LINGER_MS), { waitForEarlier: false });
  assert.equal(tables.batches.length, 1, "old enough: it goes alone");
  assert.deepEqual(tables.fired, ["armed-4"]);

  await leased.recordArmedEntry("armed-5", newPositionAt(5000), sentArmedEntry(5000));
  await leased.updateOrder(entry.id, { ...fill, closed_at: at(5001).toISOString() }, at(5001));
  await leased.commitTick(at(5001), { waitForEarlier: false });
  assert.equal(tables.batches.length, 2, "a change of its own: the tick commits, the armed entry with it");
  assert.deepEqual(tables.batches[1].armedEntries.map((a) => a.armedId), ["armed-5"]);
  assert.deepEqual(tables.batches[1].orderPatches.map((p) => p.id), [entry.id]);

  await leased.recordArmedEntry("armed-6", newPositionAt(6000), sentArmedEntry(6000));
  await leased.flush();
  assert.equal(tables.batches.length, 3, "a flush sends young armed entries too");
  assert.deepEqual(tables.fired, ["armed-4", "armed-5", "armed-6"]);
});

Deno.test("a tick's commit with nothing of its own waits for a commit under way only when told to", async () => {
  const { tables, leased, entry } = await leasedWithEntry();
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  let sending = () => {};
  const sent = new Promise<void>((resolve) => sending = resolve);
  const applyWrites = tables.applyWrites.bind(tables);
  tables.applyWrites = async (writes) => {
    sending();
    await held;
    return await applyWrites(writes);
  };
  await leased.updateOrder(entry.id, { ...fill, closed_at: at(40).toISOString() }, at(40));
  const underWay = leased.flush();
  await sent;
  await leased.commitTick(at(41), { waitForEarlier: false });
  let prepared = false;
  const closing = leased.commitTick(at(41), { waitForEarlier: true }).then(() => prepared = true);
  await Promise.resolve();
  assert.equal(prepared, false, "told to wait, it waits for the commit under way");
  release();
  await Promise.all([underWay, closing]);
  assert.equal(prepared, true);
  assert.equal(tables.batches.length, 1);

  assert.doesNotThrow(() => leased.throwIfBehind(), "every commit so far reached the tables");
  // Behind: the tick's commit refuses as every other write does.
  tables.failNext = 1;
  await leased.updateOrder(entry.id, { filled: 0.05 }, at(42));
  await assert.rejects(leased.flush(), /did not reach the tables/);
  await assert.rejects(leased.commitTick(at(43), { waitForEarlier: false }), /did not reach the tables/);
  assert.throws(() => leased.throwIfBehind(), /did not reach the tables/);
});
