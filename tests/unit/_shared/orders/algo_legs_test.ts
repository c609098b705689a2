import assert from "node:assert/strict";
import type { ProtectionAlgo } from "../../../../supabase/functions/_shared/exchange/protection_orders.ts";
import { legViewFromAlgo } from "../../../../supabase/functions/_shared/orders/algo_legs.ts";
import type { ExchangeOrderView } from "../../../../supabase/functions/_shared/orders/types.ts";

const algo = (fields: Partial<ProtectionAlgo>): ProtectionAlgo => ({
  algoId: "77",
  listClientId: "sbList1",
  instId: "ETH-USDT",
  state: "live",
  triggeredLeg: null,
  orderId: null,
  raw: { algoId: "77" },
  ...fields,
});
const tp = { purpose: "take_profit" as const, client_order_id: "sbTp1", amount: 0.05 };
const sl = { purpose: "stop_loss" as const, client_order_id: "sbSl1", amount: 0.05 };
const statuses = (a: ProtectionAlgo, triggered: ExchangeOrderView | null = null) => [
  legViewFromAlgo(tp, a, triggered).status,
  legViewFromAlgo(sl, a, triggered).status,
];

Deno.test("one algo decides both leg rows: live → open/open, canceled → cancelled/cancelled", () => {
  assert.deepEqual(statuses(algo({})), ["open", "open"]);
  assert.deepEqual(statuses(algo({ state: "cancelled" })), ["cancelled", "cancelled"]);
  const live = legViewFromAlgo(tp, algo({}), null);
  assert.deepEqual([live.exchangeOrderId, live.filled, live.remaining], [null, 0, 0.05], "no order while it rests");
});

Deno.test("a fired leg is the order the algo created; its sibling is cancelled with nothing filled", () => {
  const order: ExchangeOrderView = {
    exchangeOrderId: "901",
    clientOrderId: null,
    status: "filled",
    filled: 0.05,
    remaining: 0,
    average: 2990,
    cost: 149.5,
    feeCost: 0.1495,
    feeCurrency: "USDT",
    raw: { ordId: "901" },
  };
  const fired = algo({ state: "triggered", triggeredLeg: "stop_loss", orderId: "901" });
  assert.deepEqual(statuses(fired, order), ["cancelled", "filled"]);
  const view = legViewFromAlgo(sl, fired, order);
  assert.deepEqual([view.exchangeOrderId, view.filled, view.feeCost], ["901", 0.05, 0.1495]);
  assert.deepEqual(view.raw, { algo: fired.raw, order: order.raw }, "both answers kept on the row");
  assert.equal(legViewFromAlgo(sl, fired, null).status, "open", "fired, its order not read yet: still working");
});

Deno.test("order_failed: the fired leg is rejected, the sibling cancelled; without a side, both rejected", () => {
  assert.deepEqual(statuses(algo({ state: "failed", triggeredLeg: "take_profit" })), ["rejected", "cancelled"]);
  assert.deepEqual(statuses(algo({ state: "failed", triggeredLeg: null })), ["rejected", "rejected"]);
});
