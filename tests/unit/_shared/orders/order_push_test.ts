import assert from "node:assert/strict";
import type { OrderExecutor } from "../../../../supabase/functions/_shared/orders/executor.ts";
import { type OrderPush, viewFromPush } from "../../../../supabase/functions/_shared/orders/order_push.ts";
import { OrderTracker } from "../../../../supabase/functions/_shared/orders/order_tracker.ts";
import type { ExchangeOrderView, OrderRow } from "../../../../supabase/functions/_shared/orders/types.ts";
import type { ProtectionAlgo } from "../../../../supabase/functions/_shared/exchange/protection_orders.ts";
import { ManualClock } from "../../../support/manual_clock.ts";
import { MemoryTradeStore } from "../../../support/memory_store.ts";
import { newOrder } from "../../../support/order_intent.ts";

function push(overrides: Partial<OrderPush> = {}): OrderPush {
  return {
    exchangeOrderId: "1001",
    clientOrderId: "c1",
    status: "open",
    filled: 0,
    cost: 0,
    lastFilled: 0,
    fee: null,
    raw: { from: "push" },
    ...overrides,
  };
}

/** Two fills of 0.03 and 0.02 at 3000, with Binance's per-fill fees in ETH. */
const PART = push({
  status: "partially_filled",
  filled: 0.03,
  cost: 90,
  lastFilled: 0.03,
  fee: { cost: 0.00003, currency: "ETH", scope: "last" },
});
const REST = push({
  status: "filled",
  filled: 0.05,
  cost: 150,
  lastFilled: 0.02,
  fee: { cost: 0.00002, currency: "ETH", scope: "last" },
});

/** Lookups are counted; the answer is what the venue holds after both fills (fees summed from its trades). */
class LookupExecutor implements OrderExecutor {
  readonly mode = "testnet" as const;
  lookups = 0;
  create(): Promise<ExchangeOrderView> {
    throw new Error("not sent in these tests");
  }
  lookup(): Promise<ExchangeOrderView | null> {
    this.lookups += 1;
    return Promise.resolve({
      exchangeOrderId: "1001",
      clientOrderId: "c1",
      status: "filled",
      filled: 0.05,
      remaining: 0,
      average: 3000,
      cost: 150,
      feeCost: 0.00005,
      feeCurrency: "ETH",
      raw: { from: "lookup" },
    });
  }
  cancel(): Promise<ExchangeOrderView | null> {
    throw new Error("not cancelled in these tests");
  }
  freeBalances(): Promise<Record<string, number>> {
    throw new Error("not read in these tests");
  }
}

async function setup() {
  const store = new MemoryTradeStore();
  const clock = new ManualClock(Date.UTC(2025, 5, 1));
  const executor = new LookupExecutor();
  const changes: string[] = [];
  const tracker = new OrderTracker({
    store,
    executor,
    clock,
    listener: { changed: (order, before) => changes.push(`${before.order_status}→${order.order_status}`) },
  });
  const row = await tracker.track(newOrder());
  // Acknowledged by the venue: it has the exchange id the pushes name.
  await store.updateOrder(row.id, { order_status: "open", exchange_order_id: "1001", submitted_at: "x" }, clock.now());
  return { store, executor, tracker, changes, row: () => store.orders[0]! as OrderRow };
}

Deno.test("viewFromPush: fills add their own fees; the same state again is the same view (a no-op)", () => {
  const base = { amount: 0.05, filled: 0, fee_cost: null, fee_currency: null } as unknown as OrderRow;
  const first = viewFromPush(base, PART);
  assert.ok("view" in first);
  assert.deepEqual([first.view.filled, first.view.feeCost, first.view.remaining], [0.03, 0.00003, 0.02]);
  const after = { ...base, filled: 0.03, fee_cost: 0.00003, fee_currency: "ETH" } as OrderRow;
  const again = viewFromPush(after, PART);
  assert.ok("view" in again);
  assert.equal(again.view.feeCost, null, "a replayed fill adds no fee (null keeps the row's)");
  const second = viewFromPush(after, REST);
  assert.ok("view" in second);
  assert.equal(second.view.feeCost, 0.00005);
  assert.equal(second.view.average, 3000);
});

Deno.test("viewFromPush: an older state is stale, a fill that does not follow the recorded one is a gap", () => {
  const after = { amount: 0.05, filled: 0.03, fee_cost: 0.00003, fee_currency: "ETH" } as unknown as OrderRow;
  assert.ok("stale" in viewFromPush(after, push({ status: "open", filled: 0 })));
  const none = { amount: 0.05, filled: 0, fee_cost: null, fee_currency: null } as unknown as OrderRow;
  assert.ok("gap" in viewFromPush(none, REST), "0 → 0.05 by a fill of 0.02: the first fill was missed");
  const bnb = viewFromPush(after, { ...REST, fee: { cost: 0.0001, currency: "BNB", scope: "last" } });
  assert.ok("gap" in bnb, "a fee in another asset is summed by the REST lookup");
  const okx = viewFromPush(none, {
    ...REST,
    fee: { cost: 0.00005, currency: "ETH", scope: "total" },
    lastFilled: 0.05,
  });
  assert.ok("view" in okx);
  assert.equal(okx.view.feeCost, 0.00005, "OKX's accumulated fee is taken as it is");
});

Deno.test("applyPush: each update once; duplicates and replays change nothing", async () => {
  const { tracker, row, changes, executor } = await setup();
  assert.equal(await tracker.applyPush("binance", "testnet", PART), "applied");
  assert.equal(await tracker.applyPush("binance", "testnet", PART), "unchanged");
  assert.deepEqual([row().order_status, row().filled, row().fee_cost], ["partially_filled", 0.03, 0.00003]);
  assert.equal(await tracker.applyPush("binance", "testnet", push({ status: "open" })), "stale");
  assert.equal(await tracker.applyPush("binance", "testnet", REST), "applied");
  assert.deepEqual([row().order_status, row().filled, row().fee_cost], ["filled", 0.05, 0.00005]);
  // Final now: no longer a working order, so a duplicate of the last update matches nothing.
  assert.equal(await tracker.applyPush("binance", "testnet", REST), "unmatched");
  assert.equal(await tracker.applyPush("binance", "testnet", PART), "unmatched");
  assert.deepEqual(changes, ["open→partially_filled", "partially_filled→filled"]);
  assert.equal(executor.lookups, 0, "no REST lookup");
});

Deno.test("applyPush: a gap looks the order up over REST once", async () => {
  const { tracker, row, executor } = await setup();
  assert.equal(await tracker.applyPush("binance", "testnet", REST), "gap");
  assert.equal(executor.lookups, 1);
  assert.deepEqual([row().order_status, row().filled, row().fee_cost], ["filled", 0.05, 0.00005]);
});

Deno.test("applyPush: an order that is not ours is unmatched; before its id reached us, the client id matches", async () => {
  const { tracker, store, row } = await setup();
  assert.equal(
    await tracker.applyPush("binance", "testnet", push({ exchangeOrderId: "9", clientOrderId: "x" })),
    "unmatched",
  );
  await store.updateOrder(row().id, { exchange_order_id: null }, new Date());
  const byClientId = { ...PART, clientOrderId: row().client_order_id };
  assert.equal(await tracker.applyPush("binance", "testnet", byClientId), "applied");
  assert.equal(row().exchange_order_id, "1001");
});

/** A take profit and a stop loss held by one OKX algo (list client id L1, algoId A1), both acknowledged open. */
async function algoLegs() {
  const { store, tracker, executor, changes } = await setup();
  const leg = async (purpose: "take_profit" | "stop_loss", price: number) => {
    const row = await tracker.track({
      venue: "okx",
      symbol: "ETH/USDT",
      side: "sell",
      type: purpose === "take_profit" ? "limit" : "stop",
      price,
      amount: 0.05,
      purpose,
      position_id: null,
      mode: "testnet",
      list_client_id: "L1",
    });
    await store.updateOrder(row.id, { order_status: "open", exchange_list_id: "A1", submitted_at: "x" }, new Date());
    return row.id;
  };
  const tp = await leg("take_profit", 3100);
  const sl = await leg("stop_loss", 2900);
  const get = (id: string) => store.orders.find((o) => o.id === id)!;
  return { tracker, executor, changes, tp: () => get(tp), sl: () => get(sl) };
}

function algo(overrides: Partial<ProtectionAlgo> = {}): ProtectionAlgo {
  return {
    algoId: "A1",
    listClientId: "L1",
    instId: "ETH-USDT",
    state: "live",
    triggeredLeg: null,
    orderId: null,
    raw: {},
    ...overrides,
  };
}

Deno.test("applyAlgoPush: a fired algo binds its leg to the order it created and cancels the other", async () => {
  const { tracker, executor, tp, sl } = await algoLegs();
  assert.deepEqual(await tracker.applyAlgoPush("okx", "testnet", algo()), { outcome: "unchanged", bound: null });
  const fired = algo({ state: "triggered", triggeredLeg: "take_profit", orderId: "777" });
  assert.deepEqual(await tracker.applyAlgoPush("okx", "testnet", fired), { outcome: "applied", bound: "777" });
  assert.deepEqual([tp().order_status, tp().exchange_order_id], ["open", "777"]);
  assert.equal(sl().order_status, "cancelled");
  // The created order's own update now finds the leg.
  const childFilled = push({
    exchangeOrderId: "777",
    clientOrderId: null,
    status: "filled",
    filled: 0.05,
    cost: 155,
    lastFilled: 0.05,
  });
  assert.equal(await tracker.applyPush("okx", "testnet", { ...childFilled, fee: null }), "applied");
  assert.deepEqual([tp().order_status, tp().filled], ["filled", 0.05]);
  assert.deepEqual(
    await tracker.applyAlgoPush("okx", "testnet", fired),
    { outcome: "unmatched", bound: null },
    "a duplicate of the fired algo changes nothing",
  );
  assert.equal(executor.lookups, 0, "no REST lookup");
});

Deno.test("applyAlgoPush: a cancelled algo ends both legs; a failed one rejects the fired leg", async () => {
  const cancelled = await algoLegs();
  await cancelled.tracker.applyAlgoPush("okx", "testnet", algo({ state: "cancelled" }));
  assert.deepEqual([cancelled.tp().order_status, cancelled.sl().order_status], ["cancelled", "cancelled"]);

  const failed = await algoLegs();
  await failed.tracker.applyAlgoPush("okx", "testnet", algo({ state: "failed", triggeredLeg: "stop_loss" }));
  assert.deepEqual([failed.tp().order_status, failed.sl().order_status], ["cancelled", "rejected"]);
  assert.deepEqual(
    await failed.tracker.applyAlgoPush("okx", "testnet", algo({ algoId: "A2", listClientId: "L2" })),
    { outcome: "unmatched", bound: null },
    "another algo matches no leg",
  );
});

Deno.test("applyAlgoPush: a fired algo that names no order has its leg read over REST", async () => {
  const { tracker, executor, tp } = await algoLegs();
  const result = await tracker.applyAlgoPush(
    "okx",
    "testnet",
    algo({ state: "triggered", triggeredLeg: "take_profit" }),
  );
  assert.equal(executor.lookups, 1);
  assert.deepEqual(result, { outcome: "applied", bound: "1001" });
  assert.deepEqual([tp().order_status, tp().exchange_order_id], ["filled", "1001"]);
});
