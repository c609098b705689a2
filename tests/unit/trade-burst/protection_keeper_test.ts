import assert from "node:assert/strict";
import type { OrderExecutor, ProtectionLegs } from "../../../supabase/functions/_shared/orders/executor.ts";
import { OrderTracker } from "../../../supabase/functions/_shared/orders/order_tracker.ts";
import type { ExchangeOrderView, OrderRow } from "../../../supabase/functions/_shared/orders/types.ts";
import { DEFAULT_SETTINGS, type Settings } from "../../../supabase/functions/_shared/settings.ts";
import { PositionKeeper } from "../../../supabase/functions/trade-burst/position_keeper.ts";
import { ProtectionKeeper } from "../../../supabase/functions/trade-burst/protection_keeper.ts";
import { emptyVenueSummary } from "../../../supabase/functions/trade-burst/summary.ts";
import type { DailyTally } from "../../../supabase/functions/trade-burst/daily_tally.ts";
import { ManualClock } from "../../support/manual_clock.ts";
import { MemoryTradeStore } from "../../support/memory_store.ts";

const ETH = "ETH/USDT";
const T0 = Date.UTC(2026, 0, 1);
const SETTINGS: Settings = { ...structuredClone(DEFAULT_SETTINGS), mode: "testnet", updated_at: null } as Settings;
const MARKETS = new Map([[ETH, {
  symbol: ETH,
  rules: { amountStep: 0.0001, priceStep: 0.01, minAmount: 0.0001, minCost: 5 },
  paper: { base: "ETH", quote: "USDT", maker: 0.001, taker: 0.001 },
}]]);

const view = (order: OrderRow, fields: Partial<ExchangeOrderView> = {}): ExchangeOrderView => ({
  exchangeOrderId: `x-${order.client_order_id}`,
  clientOrderId: order.client_order_id,
  status: "open",
  filled: 0,
  remaining: order.amount,
  average: null,
  cost: 0,
  feeCost: null,
  feeCurrency: null,
  raw: null,
  ...fields,
});

/** A venue that rests every list and cancels on request; what it was sent is kept. */
class ListVenue implements OrderExecutor {
  readonly mode = "testnet" as const;
  readonly lists: ProtectionLegs[] = [];
  readonly cancelled: string[] = [];
  create(): Promise<ExchangeOrderView> {
    throw new Error("no single orders here");
  }
  lookup(order: OrderRow): Promise<ExchangeOrderView | null> {
    return Promise.resolve(view(order, { status: order.order_status, filled: order.filled }));
  }
  cancel(order: OrderRow): Promise<ExchangeOrderView | null> {
    this.cancelled.push(order.client_order_id);
    return Promise.resolve(view(order, { status: "cancelled", remaining: 0 }));
  }
  createProtection(legs: ProtectionLegs) {
    this.lists.push(legs);
    return Promise.resolve({
      exchangeListId: `L${this.lists.length}`,
      takeProfit: view(legs.takeProfit),
      stopLoss: view(legs.stopLoss),
    });
  }
  freeBalances(): Promise<Record<string, number>> {
    return Promise.resolve({});
  }
}

function setup() {
  const clock = new ManualClock(T0);
  const store = new MemoryTradeStore(() => clock.now().getTime());
  const venue = new ListVenue();
  const summary = emptyVenueSummary("binance");
  const orders = new OrderTracker({ store, executor: venue, clock });
  const daily = { recordFailed() {}, recordClosed() {} } as unknown as DailyTally;
  const positions = new PositionKeeper({
    venue: "binance",
    store,
    markets: MARKETS,
    quotes: new Map(),
    clock,
    daily,
    summary,
    orders,
    budgetSpent: () => false,
  });
  const protection = new ProtectionKeeper({
    venue: "binance",
    executor: venue,
    markets: MARKETS,
    summary,
    orders,
    advance: (p) => positions.advance(p),
    budgetSpent: () => false,
  });
  return { clock, store, venue, summary, positions, protection };
}

Deno.test("partial entry fills: protection covers what is held and is resized as more fills arrive", async () => {
  const { store, venue, summary, positions, protection } = setup();
  const position = await store.insertPosition({
    venue: "binance",
    symbol: ETH,
    mode: "testnet",
    opened_at: new Date(T0).toISOString(),
  });
  const entry = await store.insertOrder({
    client_order_id: "sbentry1",
    venue: "binance",
    symbol: ETH,
    side: "buy",
    type: "limit",
    price: 3000,
    amount: 0.05,
    purpose: "entry",
    position_id: position.id,
    mode: "testnet",
  }, new Date(T0));
  const fill = (filled: number, status: OrderRow["order_status"]) =>
    store.updateOrder(entry.id, {
      order_status: status,
      filled,
      average: 3000,
      cost: filled * 3000,
      fee_cost: filled * 0.001,
      fee_currency: "ETH",
      exchange_order_id: "E1",
    }, new Date(T0));

  await fill(0.02, "partially_filled");
  let settled = await protection.ensure(await positions.advance(position), SETTINGS);
  assert.equal(settled.position.status, "opening", "the entry still works");
  assert.equal(venue.lists.length, 1);
  assert.equal(venue.lists[0].takeProfit.amount, 0.0199, "0.02 less the 0.1 % base fee, floored to the lot");
  assert.equal(venue.lists[0].stopLoss.amount, 0.0199);

  // Nothing changed: the list covers the holding, nothing is sent again.
  settled = await protection.ensure(await positions.advance(settled.position), SETTINGS);
  assert.equal(venue.lists.length, 1);

  await fill(0.05, "filled");
  settled = await protection.ensure(await positions.advance(settled.position), SETTINGS);
  assert.equal(settled.position.status, "open");
  assert.equal(venue.lists.length, 2, "a new list for the new holding");
  assert.deepEqual(
    venue.cancelled.sort(),
    [venue.lists[0].stopLoss.client_order_id, venue.lists[0].takeProfit.client_order_id].sort(),
  );
  assert.equal(venue.lists[1].takeProfit.amount, 0.0499);
  const live = store.orders.filter((o) => o.purpose !== "entry" && o.order_status === "open");
  assert.equal(live.length, 2);
  assert.equal(new Set(live.map((o) => o.list_client_id)).size, 1);
  assert.deepEqual(summary.protection, { placed: 2, replaced: 1 });
});

Deno.test("a holding below the venue's minimums gets no list (dust), and protection off places none", async () => {
  const { store, venue, positions, protection } = setup();
  const position = await store.insertPosition({
    venue: "binance",
    symbol: ETH,
    mode: "testnet",
    opened_at: new Date(T0).toISOString(),
  });
  const entry = await store.insertOrder({
    client_order_id: "sbentry2",
    venue: "binance",
    symbol: ETH,
    side: "buy",
    type: "limit",
    price: 3000,
    amount: 0.05,
    purpose: "entry",
    position_id: position.id,
    mode: "testnet",
  }, new Date(T0));
  await store.updateOrder(entry.id, {
    order_status: "filled",
    filled: 0.05,
    average: 3000,
    cost: 150,
    fee_cost: 0.00005,
    fee_currency: "ETH",
  }, new Date(T0));
  await protection.ensure(await positions.advance(position), { ...SETTINGS, exit_protection: false });
  assert.equal(venue.lists.length, 0, "exit_protection = false: the burst's own exits");

  const small = await store.insertPosition({
    venue: "binance",
    symbol: ETH,
    mode: "testnet",
    opened_at: new Date(T0).toISOString(),
  });
  const tiny = await store.insertOrder(
    { ...entry, client_order_id: "sbentry3", amount: 0.0017, position_id: small.id },
    new Date(T0),
  );
  await store.updateOrder(tiny.id, {
    order_status: "filled",
    filled: 0.0017,
    average: 3000,
    cost: 5.1,
    fee_cost: 0.0000017,
    fee_currency: "ETH",
  }, new Date(T0));
  await protection.ensure(await positions.advance(small), SETTINGS);
  assert.equal(venue.lists.length, 0, "0.0016 ETH is below the 5 USDT minimum at the target");
});
