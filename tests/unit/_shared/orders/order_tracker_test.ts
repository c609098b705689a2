import assert from "node:assert/strict";
import {
  CircuitOpenError,
  DeadlinePassedError,
  FinalExchangeError,
  NeedsHumanError,
  TemporaryExchangeError,
} from "../../../../supabase/functions/_shared/exchange/errors.ts";
import {
  CANCEL_REQUESTED,
  type CancelOptions,
  type OrderExecutor,
} from "../../../../supabase/functions/_shared/orders/executor.ts";
import { type NewOrder, OrderTracker } from "../../../../supabase/functions/_shared/orders/order_tracker.ts";
import type { ExchangeOrderView, OrderRow } from "../../../../supabase/functions/_shared/orders/types.ts";
import { ManualClock } from "../../../support/manual_clock.ts";
import { MemoryTradeStore } from "../../../support/memory_store.ts";
import { newOrder } from "../../../support/order_intent.ts";

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
const GRACE_MS = 30_000;

const ENTRY: NewOrder = newOrder();

function view(overrides: Partial<ExchangeOrderView> = {}): ExchangeOrderView {
  return {
    exchangeOrderId: "1001",
    clientOrderId: null,
    status: "open",
    filled: 0,
    remaining: 0.05,
    average: null,
    cost: 0,
    feeCost: null,
    feeCurrency: null,
    raw: { from: "test" },
    ...overrides,
  };
}

/** An executor whose answers the test scripts; it records what it was asked and what the store held at that moment. */
class ScriptedExecutor implements OrderExecutor {
  readonly mode = "testnet" as const;
  readonly calls: string[] = [];
  /** Rows in the store when create was called (track-before-send). */
  rowsAtCreate: OrderRow[] = [];
  createAnswer: () => Promise<ExchangeOrderView> = () => Promise.resolve(view());
  lookupAnswer: (order: OrderRow) => Promise<ExchangeOrderView | null> = () => Promise.resolve(null);
  cancelAnswer: () => Promise<ExchangeOrderView | null | typeof CANCEL_REQUESTED> = () =>
    Promise.resolve(view({ status: "cancelled" }));
  /** Set by the protection tests only. */
  createProtection?: OrderExecutor["createProtection"];

  constructor(private readonly store: MemoryTradeStore) {}

  create(order: OrderRow): Promise<ExchangeOrderView> {
    this.calls.push(`create ${order.client_order_id}`);
    this.rowsAtCreate = this.store.orders.map((o) => ({ ...o }));
    return this.createAnswer();
  }
  lookup(order: OrderRow): Promise<ExchangeOrderView | null> {
    this.calls.push(`lookup ${order.client_order_id}`);
    return this.lookupAnswer(order);
  }
  cancel(order: OrderRow): Promise<ExchangeOrderView | null>;
  cancel(order: OrderRow, options?: CancelOptions): Promise<ExchangeOrderView | null | typeof CANCEL_REQUESTED>;
  cancel(order: OrderRow, options?: CancelOptions): Promise<ExchangeOrderView | null | typeof CANCEL_REQUESTED> {
    this.calls.push(`cancel ${order.client_order_id}${options?.outcomeByPush ? " (outcome by push)" : ""}`);
    return this.cancelAnswer();
  }
  freeBalances(): Promise<Record<string, number>> {
    throw new Error("the tracker never reads balances");
  }
}

function setup() {
  const store = new MemoryTradeStore();
  const clock = new ManualClock(T0);
  const executor = new ScriptedExecutor(store);
  const notes: string[] = [];
  const changes: { from: string; to: string }[] = [];
  const recorded: string[] = [];
  const tracker = new OrderTracker({
    store,
    executor,
    clock,
    notFoundGraceMs: GRACE_MS,
    listener: {
      recorded: (order) => recorded.push(order.client_order_id),
      changed: (order, before) => changes.push({ from: before.order_status, to: order.order_status }),
      note: (text) => notes.push(text),
    },
  });
  return { store, clock, executor, tracker, notes, changes, recorded };
}

Deno.test("track: the row exists as pending_submit before the order is sent", async () => {
  const { store, executor, tracker, recorded } = setup();
  const order = await tracker.place(ENTRY);

  assert.equal(executor.rowsAtCreate.length, 1);
  assert.equal(executor.rowsAtCreate[0]!.order_status, "pending_submit");
  assert.equal(executor.rowsAtCreate[0]!.client_order_id, order.client_order_id);
  assert.deepEqual(executor.calls, [`create ${order.client_order_id}`]);
  assert.deepEqual(recorded, [order.client_order_id]);
  // The venue's answer is applied: open with its exchange id.
  assert.equal(store.orders[0]!.order_status, "open");
  assert.equal(store.orders[0]!.exchange_order_id, "1001");
  assert.deepEqual(tracker.active.map((o) => o.id), [order.id]);
  assert.deepEqual(tracker.statusCounts(), { open: 1 });
});

Deno.test("track: an order the store refuses to record is never sent", async () => {
  const { executor, tracker } = setup();
  await assert.rejects(() => tracker.place({ ...ENTRY, amount: 0 }), RangeError);
  assert.deepEqual(executor.calls, []);
});

Deno.test("send: an unknown outcome is looked up by client order id and the answer applied", async () => {
  const { store, executor, tracker, changes } = setup();
  executor.createAnswer = () => Promise.reject(new TemporaryExchangeError("socket hang up"));
  executor.lookupAnswer = (order) =>
    Promise.resolve(view({ clientOrderId: order.client_order_id, status: "filled", filled: 0.05, remaining: 0 }));

  const order = await tracker.place(ENTRY);

  assert.deepEqual(executor.calls, [`create ${order.client_order_id}`, `lookup ${order.client_order_id}`]);
  assert.equal(order.order_status, "filled");
  assert.equal(store.orders[0]!.order_status, "filled");
  assert.equal(store.orders[0]!.filled, 0.05);
  assert.deepEqual(changes, [{ from: "pending_submit", to: "unknown" }, { from: "unknown", to: "filled" }]);
  assert.equal(tracker.active.length, 0);
  assert.deepEqual(tracker.statusCounts(), { filled: 1 });
});

Deno.test("send: an order the venue still does not know stays unknown, then is given up on after the grace period", async () => {
  const { store, clock, executor, tracker, notes } = setup();
  executor.createAnswer = () => Promise.reject(new TemporaryExchangeError("timed out"));

  const order = await tracker.place(ENTRY);
  assert.equal(order.order_status, "unknown");
  assert.equal(store.orders[0]!.order_status, "unknown");
  assert.equal(tracker.lost.length, 0);

  // Inside the grace period the refresh leaves it unknown (the venue may not have indexed it yet).
  clock.advance(GRACE_MS - 1);
  await tracker.refreshWorking("binance", "testnet");
  assert.equal(store.orders[0]!.order_status, "unknown");
  assert.equal(tracker.lost.length, 0);

  // Past it, never acknowledged: it never arrived, so it is rejected with the reason, and counted as lost.
  clock.advance(1);
  await tracker.refreshWorking("binance", "testnet");
  const row = store.orders[0]!;
  assert.equal(row.order_status, "rejected");
  assert.match(row.last_error ?? "", /never arrived/);
  assert.notEqual(row.closed_at, null);
  assert.deepEqual(tracker.lost.map((o) => o.id), [order.id]);
  assert.ok(notes.some((n) => n.includes("not found at the venue")));
  // Never sent twice: one create, lookups only.
  assert.equal(executor.calls.filter((c) => c.startsWith("create")).length, 1);
});

Deno.test("send: an acknowledged order that vanished expires after the grace period", async () => {
  const { store, clock, executor, tracker } = setup();
  await tracker.place(ENTRY);
  assert.equal(store.orders[0]!.exchange_order_id, "1001");
  executor.lookupAnswer = () => Promise.resolve(null);
  clock.advance(GRACE_MS);
  await tracker.refreshWorking("binance", "testnet");
  assert.equal(store.orders[0]!.order_status, "expired");
  assert.equal(tracker.lost.length, 1);
});

Deno.test("send: the venue saying no is final: rejected with its reason, nothing looked up", async () => {
  const { store, executor, tracker, notes } = setup();
  executor.createAnswer = () => Promise.reject(new FinalExchangeError("insufficient balance"));

  const order = await tracker.place(ENTRY);

  assert.equal(order.order_status, "rejected");
  assert.match(store.orders[0]!.last_error ?? "", /insufficient balance/);
  assert.deepEqual(executor.calls, [`create ${order.client_order_id}`]);
  assert.equal(tracker.needsHuman, null);
  assert.ok(notes.some((n) => n.includes("insufficient balance")));
  assert.deepEqual(tracker.statusCounts(), { rejected: 1 });
});

Deno.test("send: a venue refusing our keys is recorded as rejected and kept for the caller", async () => {
  const { executor, tracker } = setup();
  const refused = new NeedsHumanError("invalid api key");
  executor.createAnswer = () => Promise.reject(refused);

  const order = await tracker.place(ENTRY);

  assert.equal(order.order_status, "rejected");
  assert.equal(tracker.needsHuman, refused);
});

for (
  const [name, error] of [
    ["circuit open", new CircuitOpenError("binance", 5_000)],
    ["time budget spent", new DeadlinePassedError()],
  ] as const
) {
  Deno.test(`send: a request that never left (${name}) leaves no sent order and nothing to look up`, async () => {
    const { store, executor, tracker } = setup();
    executor.createAnswer = () => Promise.reject(error);

    const order = await tracker.place(ENTRY);

    const row = store.orders[0]!;
    assert.equal(row.order_status, "rejected");
    assert.equal(row.submitted_at, null);
    assert.equal(row.exchange_order_id, null);
    assert.notEqual(row.closed_at, null);
    assert.deepEqual(executor.calls, [`create ${order.client_order_id}`]);
    assert.deepEqual(await store.listNonFinalOrders("binance", "testnet"), []);
  });
}

Deno.test("send: an error that is not an exchange error leaves the order unknown and propagates", async () => {
  const { store, executor, tracker } = setup();
  executor.createAnswer = () => Promise.reject(new TypeError("bug"));
  await assert.rejects(() => tracker.place(ENTRY), TypeError);
  assert.equal(store.orders[0]!.order_status, "unknown");
  assert.deepEqual(executor.calls.filter((c) => c.startsWith("lookup")), []);
});

Deno.test("cancel: the venue's answer is applied, the filled part kept", async () => {
  const { store, executor, tracker } = setup();
  const order = await tracker.place(ENTRY);
  executor.cancelAnswer = () => Promise.resolve(view({ status: "cancelled", filled: 0.02, remaining: 0.03 }));

  await tracker.cancel(order);

  assert.equal(store.orders[0]!.order_status, "cancelled");
  assert.equal(store.orders[0]!.filled, 0.02);
  assert.equal(tracker.active.length, 0);
});

Deno.test("cancel, outcome by push: the row waits for the order's pushed update, which ends the wait", async () => {
  const { store, clock, executor, tracker } = setup();
  const order = await tracker.place(ENTRY);
  executor.cancelAnswer = () => Promise.resolve(CANCEL_REQUESTED);
  await tracker.cancel(order, { outcomeByPush: true });
  assert.equal(executor.calls.at(-1), `cancel ${order.client_order_id} (outcome by push)`);
  assert.equal(store.orders[0]!.order_status, "open", "nothing applied before the push");
  assert.equal(tracker.active.length, 1);
  clock.advance(700);
  assert.equal(tracker.cancelRequestedMsAgo(store.orders[0]!), 700);

  const push = {
    exchangeOrderId: "1001",
    clientOrderId: order.client_order_id,
    status: "cancelled" as const,
    filled: 0.01,
    cost: 30,
    lastFilled: 0.01,
    fee: { cost: 0.00001, currency: "ETH", scope: "last" as const },
    raw: {},
  };
  assert.equal(await tracker.applyPush("binance", "testnet", push), "applied");
  const [row] = store.orders;
  assert.deepEqual([row!.order_status, row!.filled, row!.fee_cost], ["cancelled", 0.01, 0.00001]);
  assert.equal(tracker.cancelRequestedMsAgo(row!), undefined, "the order ended");
});

Deno.test("cancel: an order the venue does not know expires", async () => {
  const { store, executor, tracker } = setup();
  const order = await tracker.place(ENTRY);
  executor.cancelAnswer = () => Promise.resolve(null);
  await tracker.cancel(order);
  assert.equal(store.orders[0]!.order_status, "expired");
  assert.match(store.orders[0]!.last_error ?? "", /does not know/);
});

Deno.test("cancel: an exchange error is noted and leaves the row; refused keys propagate", async () => {
  const { store, executor, tracker, notes } = setup();
  const order = await tracker.place(ENTRY);
  executor.cancelAnswer = () => Promise.reject(new TemporaryExchangeError("502"));
  await tracker.cancel(order);
  assert.equal(store.orders[0]!.order_status, "open");
  assert.ok(notes.some((n) => n.startsWith(`cancel ${order.client_order_id}`)));

  executor.cancelAnswer = () => Promise.reject(new NeedsHumanError("permission denied"));
  await assert.rejects(() => tracker.cancel(store.orders[0]!), NeedsHumanError);
});

Deno.test("refreshWorking: a lagging answer with a smaller fill is ignored and noted, the row kept", async () => {
  const { store, executor, tracker, notes } = setup();
  executor.createAnswer = () => Promise.resolve(view({ status: "partially_filled", filled: 0.03, remaining: 0.02 }));
  await tracker.place(ENTRY);
  executor.lookupAnswer = () => Promise.resolve(view({ status: "partially_filled", filled: 0.01 }));
  await tracker.refreshWorking("binance", "testnet");
  assert.equal(store.orders[0]!.filled, 0.03);
  assert.ok(notes.some((n) => n.includes("below the recorded")));
});

const TP: NewOrder = {
  ...ENTRY,
  side: "sell",
  price: 3006,
  purpose: "take_profit",
  position_id: "position-1",
};
const SL: NewOrder = { ...TP, type: "stop", price: 2984, trigger_price: 2994, purpose: "stop_loss" };

Deno.test("placeProtection: both legs recorded (one list, two ids) before the list leaves, then applied", async () => {
  const { store, executor, tracker } = setup();
  let rowsAtSend: OrderRow[] = [];
  executor.createProtection = (legs) => {
    rowsAtSend = store.orders.map((o) => ({ ...o }));
    return Promise.resolve({
      exchangeListId: "L7",
      takeProfit: view({ exchangeOrderId: "22", clientOrderId: legs.takeProfit.client_order_id }),
      stopLoss: view({ exchangeOrderId: "21", clientOrderId: legs.stopLoss.client_order_id }),
    });
  };
  const updates: string[] = [];
  const update = store.updateOrder.bind(store);
  store.updateOrder = (id, patch, now) => {
    updates.push(id);
    return update(id, patch, now);
  };
  const { takeProfit, stopLoss } = await tracker.placeProtection(TP, SL);
  assert.deepEqual(updates, [takeProfit.id, stopLoss.id], "one update per leg: the list id goes with its state");
  assert.equal(rowsAtSend.length, 2);
  assert.ok(rowsAtSend.every((o) => o.order_status === "pending_submit"));
  assert.equal(takeProfit.list_client_id, stopLoss.list_client_id);
  assert.notEqual(takeProfit.client_order_id, stopLoss.client_order_id);
  assert.deepEqual([takeProfit.order_status, takeProfit.exchange_order_id, takeProfit.exchange_list_id], [
    "open",
    "22",
    "L7",
  ]);
  assert.deepEqual([stopLoss.order_status, stopLoss.exchange_order_id, stopLoss.trigger_price], ["open", "21", 2994]);
});

Deno.test("placeProtection: the venue saying no rejects both legs; a lost answer looks both up", async (t) => {
  await t.step("refused", async () => {
    const { executor, tracker } = setup();
    executor.createProtection = () => Promise.reject(new FinalExchangeError("-2010 would immediately match"));
    const { takeProfit, stopLoss } = await tracker.placeProtection(TP, SL);
    assert.deepEqual([takeProfit.order_status, stopLoss.order_status], ["rejected", "rejected"]);
    assert.match(takeProfit.last_error!, /would immediately match/);
    assert.equal(executor.calls.filter((c) => c.startsWith("lookup")).length, 0);
  });
  await t.step("unknown outcome", async () => {
    const { executor, tracker } = setup();
    executor.createProtection = () => Promise.reject(new TemporaryExchangeError("socket hang up"));
    executor.lookupAnswer = (order) =>
      Promise.resolve(view({ exchangeOrderId: order.purpose === "take_profit" ? "22" : "21" }));
    const { takeProfit, stopLoss } = await tracker.placeProtection(TP, SL);
    assert.equal(executor.calls.filter((c) => c.startsWith("lookup")).length, 2, "each leg looked up once");
    assert.equal(executor.calls.filter((c) => c.startsWith("create")).length, 0, "never sent again");
    assert.deepEqual([takeProfit.order_status, stopLoss.order_status], ["open", "open"]);
  });
});

/** A venue executor that also lists its open orders (one request) when that is cheaper than single lookups. */
class ListingExecutor extends ScriptedExecutor {
  openAnswer: () => Promise<ExchangeOrderView[]> = () => Promise.resolve([]);
  listFromLookups = 2;
  listOpen(): Promise<ExchangeOrderView[]> {
    this.calls.push("listOpen");
    return this.openAnswer();
  }
  prefersOpenList(lookups: number): boolean {
    return lookups >= this.listFromLookups;
  }
}

function listingSetup() {
  const store = new MemoryTradeStore();
  const clock = new ManualClock(T0);
  const executor = new ListingExecutor(store);
  const notes: string[] = [];
  const tracker = new OrderTracker({
    store,
    executor,
    clock,
    notFoundGraceMs: GRACE_MS,
    listener: { note: (text) => notes.push(text) },
  });
  return { store, clock, executor, tracker, notes };
}

Deno.test("refreshWorking: one open-orders request answers for the orders on it; only those that left are looked up", async () => {
  const { store, executor, tracker } = listingSetup();
  let next = 1;
  executor.createAnswer = () => Promise.resolve(view({ exchangeOrderId: `x${next++}` }));
  const a = await tracker.place(ENTRY);
  const b = await tracker.place({ ...ENTRY, symbol: "BTC/USDT" });
  const c = await tracker.place({ ...ENTRY, symbol: "SOL/USDT" });
  executor.calls.length = 0;
  // a is still open and partly filled, b left the list (filled), c is open and unchanged.
  executor.openAnswer = () =>
    Promise.resolve([
      view({
        exchangeOrderId: "x1",
        status: "partially_filled",
        filled: 0.02,
        remaining: 0.03,
        average: 3000,
        cost: 60,
      }),
      view({ exchangeOrderId: "x3" }),
    ]);
  executor.lookupAnswer = (order) =>
    Promise.resolve(
      order.id === b.id
        ? view({ exchangeOrderId: "x2", status: "filled", filled: 0.05, remaining: 0, average: 3000, cost: 150 })
        : null,
    );
  await tracker.refreshWorking("binance", "testnet");
  assert.deepEqual(executor.calls, ["listOpen", `lookup ${b.client_order_id}`]);
  const byId = (id: string) => store.orders.find((o) => o.id === id)!;
  assert.equal(byId(a.id).order_status, "partially_filled");
  assert.equal(byId(a.id).filled, 0.02);
  assert.equal(byId(b.id).order_status, "filled");
  assert.equal(byId(c.id).order_status, "open");
});

Deno.test("refreshWorking: few working orders are looked up one by one when the list would cost more", async () => {
  const { executor, tracker } = listingSetup();
  executor.listFromLookups = 5;
  const a = await tracker.place(ENTRY);
  executor.calls.length = 0;
  executor.lookupAnswer = () => Promise.resolve(view());
  await tracker.refreshWorking("binance", "testnet");
  assert.deepEqual(executor.calls, [`lookup ${a.client_order_id}`]);
});

Deno.test("refreshWorking within the limits: only the lookups affordable now, the longest unrefreshed first", async () => {
  const { executor, tracker } = listingSetup();
  executor.listFromLookups = 2;
  let next = 1;
  executor.createAnswer = () => Promise.resolve(view({ exchangeOrderId: `x${next++}` }));
  const a = await tracker.place(ENTRY);
  const b = await tracker.place({ ...ENTRY, symbol: "BTC/USDT" });
  const c = await tracker.place({ ...ENTRY, symbol: "SOL/USDT" });
  let affordable = { lookups: 1, openList: false };
  Object.assign(executor, { affordableRefreshes: () => affordable });
  executor.lookupAnswer = (order) => Promise.resolve(view({ exchangeOrderId: order.exchange_order_id! }));
  executor.calls.length = 0;
  for (let round = 0; round < 4; round++) {
    await tracker.refreshWorking("binance", "testnet", undefined, { withinLimits: true });
  }
  assert.deepEqual(
    executor.calls,
    [a, b, c, a].map((o) => `lookup ${o.client_order_id}`),
    "one lookup a call, the list too dear for now: every order in turn",
  );

  // The list affordable again: it answers for all three at once.
  affordable = { lookups: 0, openList: true };
  executor.openAnswer = () => Promise.resolve(["x1", "x2", "x3"].map((id) => view({ exchangeOrderId: id })));
  executor.calls.length = 0;
  await tracker.refreshWorking("binance", "testnet", undefined, { withinLimits: true });
  assert.deepEqual(executor.calls, ["listOpen"]);

  // Nothing affordable: nothing sent; without withinLimits, everything is (the end of a burst).
  affordable = { lookups: 0, openList: false };
  executor.calls.length = 0;
  await tracker.refreshWorking("binance", "testnet", undefined, { withinLimits: true });
  assert.deepEqual(executor.calls, []);
  await tracker.refreshWorking("binance", "testnet");
  assert.deepEqual(executor.calls, ["listOpen"]);
});

Deno.test("refreshWorking: the lookups go out together; a slow one holds none of the others back", async () => {
  const { store, executor, tracker } = listingSetup();
  executor.listFromLookups = 10;
  let next = 1;
  executor.createAnswer = () => Promise.resolve(view({ exchangeOrderId: `x${next++}` }));
  const a = await tracker.place(ENTRY);
  const b = await tracker.place({ ...ENTRY, symbol: "BTC/USDT" });
  let answerA = () => {};
  executor.lookupAnswer = (order) =>
    order.id === a.id
      ? new Promise((resolve) => answerA = () => resolve(view({ exchangeOrderId: "x1", status: "cancelled" })))
      : Promise.resolve(view({ exchangeOrderId: "x2", status: "cancelled" }));
  executor.calls.length = 0;
  const refreshing = tracker.refreshWorking("binance", "testnet");
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.deepEqual(executor.calls, [`lookup ${a.client_order_id}`, `lookup ${b.client_order_id}`]);
  assert.equal(
    store.orders.find((o) => o.id === b.id)!.order_status,
    "cancelled",
    "b's answer applied while a's waits",
  );
  answerA();
  await refreshing;
  assert.equal(store.orders.find((o) => o.id === a.id)!.order_status, "cancelled");
});

Deno.test("refreshWorking: a failed open-orders request is noted and nothing is changed or looked up", async () => {
  const { store, executor, tracker, notes } = listingSetup();
  executor.listFromLookups = 1;
  await tracker.place(ENTRY);
  executor.calls.length = 0;
  executor.openAnswer = () => Promise.reject(new TemporaryExchangeError("timeout", { venue: "binance" }));
  await tracker.refreshWorking("binance", "testnet");
  assert.deepEqual(executor.calls, ["listOpen"]);
  assert.equal(store.orders[0]!.order_status, "open");
  assert.ok(notes.some((n) => /open orders: .*timeout/.test(n)), JSON.stringify(notes));
  executor.openAnswer = () => Promise.reject(new NeedsHumanError("bad key", { venue: "binance" }));
  await assert.rejects(tracker.refreshWorking("binance", "testnet"), NeedsHumanError);
});
