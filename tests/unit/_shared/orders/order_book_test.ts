import assert from "node:assert/strict";
import { FinalExchangeError, TemporaryExchangeError } from "../../../../supabase/functions/_shared/exchange/errors.ts";
import {
  CLIENT_ORDER_ID_PATTERN,
  newClientOrderId,
} from "../../../../supabase/functions/_shared/orders/client_order_id.ts";
import type { OrderExecutor } from "../../../../supabase/functions/_shared/orders/executor.ts";
import { MemoryTradeStore } from "../../../support/memory_store.ts";
import { applyExchangeOrder, recordIntent } from "../../../../supabase/functions/_shared/orders/order_book.ts";
import { reconcileVenue } from "../../../../supabase/functions/_shared/orders/reconcile.ts";
import type { ExchangeOrderView, OrderRow } from "../../../../supabase/functions/_shared/orders/types.ts";
import { orderIntent as intent } from "../../../support/order_intent.ts";
import { matchPaperOrder } from "../../../../supabase/functions/_shared/paper/fill_engine.ts";
import type { MarketRules } from "../../../../supabase/functions/_shared/trading/precision.ts";

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
const at = (ms: number) => new Date(T0 + ms);

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

const RULES: MarketRules = { amountStep: 0.0001, priceStep: 0.01, minAmount: 0.0001, minCost: 5 };

/** An executor whose venue knows exactly the orders in `known` (by client order id), and counts what it is asked. */
class ScriptedExecutor implements OrderExecutor {
  readonly mode = "testnet" as const;
  readonly lookups: string[] = [];
  constructor(readonly known: Map<string, ExchangeOrderView>, readonly failWith?: Error) {}
  create(): Promise<ExchangeOrderView> {
    return Promise.reject(new Error("reconciliation must never send an order"));
  }
  lookup(order: OrderRow): Promise<ExchangeOrderView | null> {
    this.lookups.push(order.exchange_order_id ? `id:${order.exchange_order_id}` : `client:${order.client_order_id}`);
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve(this.known.get(order.client_order_id) ?? null);
  }
  cancel(): Promise<ExchangeOrderView | null> {
    return Promise.reject(new Error("not used"));
  }
  freeBalances(): Promise<Record<string, number>> {
    return Promise.resolve({});
  }
}

Deno.test("client order ids are short, unique and legal on Binance and OKX", () => {
  const ids = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = newClientOrderId(T0 + i);
    assert.match(id, /^[a-zA-Z0-9-_]{1,36}$/, "Binance newClientOrderId");
    assert.match(id, /^[a-zA-Z0-9]{1,32}$/, "OKX clOrdId");
    assert.match(id, CLIENT_ORDER_ID_PATTERN);
    ids.add(id);
  }
  assert.equal(ids.size, 2000);
  assert.throws(() => newClientOrderId(Number.NaN), RangeError);
});

Deno.test("recordIntent writes the order as pending_submit before anything is sent", async () => {
  const store = new MemoryTradeStore(() => T0);
  const row = await recordIntent(store, intent(), at(0));
  assert.equal(row.order_status, "pending_submit");
  assert.equal(row.exchange_order_id, null);
  assert.equal(store.orders.length, 1);
  await assert.rejects(() => recordIntent(store, intent({ client_order_id: row.client_order_id }), at(0)));
  assert.throws(() => recordIntent(store, intent({ amount: 0 }), at(0)), RangeError);
  assert.throws(() => recordIntent(store, intent({ price: null }), at(0)), RangeError);
});

Deno.test("applyExchangeOrder moves status only along valid transitions", async (t) => {
  const store = new MemoryTradeStore(() => T0);

  await t.step("pending_submit -> open -> partially_filled -> filled, with submitted_at and closed_at", async () => {
    let order = await recordIntent(store, intent(), at(0));
    let result = await applyExchangeOrder(store, order, view(), at(10));
    assert.equal(result.changed, true);
    order = result.order;
    assert.equal(order.order_status, "open");
    assert.equal(order.exchange_order_id, "1001");
    assert.equal(order.submitted_at, at(10).toISOString());
    result = await applyExchangeOrder(
      store,
      order,
      view({ status: "partially_filled", filled: 0.02, remaining: 0.03, average: 3000, cost: 60 }),
      at(20),
    );
    order = result.order;
    assert.equal(order.order_status, "partially_filled");
    assert.equal(order.closed_at, null);
    result = await applyExchangeOrder(
      store,
      order,
      view({
        status: "filled",
        filled: 0.05,
        remaining: 0,
        average: 3000,
        cost: 150,
        feeCost: 0.00005,
        feeCurrency: "ETH",
      }),
      at(30),
    );
    order = result.order;
    assert.equal(order.order_status, "filled");
    assert.equal(order.fee_cost, 0.00005);
    assert.equal(order.closed_at, at(30).toISOString());

    // A lagging answer cannot reopen a filled order.
    const stale = await applyExchangeOrder(store, order, view({ status: "open" }), at(40));
    assert.ok("ignored" in stale);
    assert.equal(store.orders.find((o) => o.id === order.id)!.order_status, "filled");
  });

  await t.step("a smaller fill than recorded is ignored, and fees are kept when the answer has none", async () => {
    let order = await recordIntent(store, intent(), at(0));
    order = (await applyExchangeOrder(
      store,
      order,
      view({ exchangeOrderId: "2002", status: "partially_filled", filled: 0.02, average: 3000, cost: 60, feeCost: 1 }),
      at(5),
    )).order;
    const shrink = await applyExchangeOrder(
      store,
      order,
      view({ exchangeOrderId: "2002", status: "partially_filled", filled: 0.01 }),
      at(6),
    );
    assert.ok("ignored" in shrink);
    const noFee = await applyExchangeOrder(
      store,
      order,
      view({ exchangeOrderId: "2002", status: "cancelled", filled: 0.02, average: 3000, cost: 60, feeCost: null }),
      at(7),
    );
    assert.equal(noFee.order.order_status, "cancelled");
    assert.equal(noFee.order.fee_cost, 1);
  });
});

Deno.test("reconcileVenue settles every non-final order with the venue", async (t) => {
  const store = new MemoryTradeStore(() => T0);
  // A crash between send and write: the venue has it, we only know our client order id.
  const sent = await recordIntent(store, intent(), at(0));
  // Never left: recorded long ago, the venue has never heard of it.
  const neverSent = await recordIntent(store, intent({ client_order_id: newClientOrderId(T0 + 1) }), at(0));
  // Recorded a moment ago: might still be in flight, so it is left alone.
  const young = await recordIntent(store, intent({ client_order_id: newClientOrderId(T0 + 2) }), at(55_000));
  // Acknowledged once, now gone from the venue.
  const acked = await recordIntent(store, intent({ client_order_id: newClientOrderId(T0 + 3) }), at(0));
  await applyExchangeOrder(store, acked, view({ exchangeOrderId: "3003" }), at(1));
  // An entry whose position should open once the fill is known.
  const position = await store.insertPosition({
    venue: "binance",
    symbol: "ETH/USDT",
    mode: "testnet",
    opened_at: at(0).toISOString(),
  });
  const entry = await recordIntent(
    store,
    intent({ client_order_id: newClientOrderId(T0 + 4), position_id: position.id }),
    at(0),
  );
  await applyExchangeOrder(store, entry, view({ exchangeOrderId: "4004" }), at(1));

  const known = new Map<string, ExchangeOrderView>([
    [sent.client_order_id, view({ exchangeOrderId: "5005", clientOrderId: sent.client_order_id })],
    [
      entry.client_order_id,
      view({
        exchangeOrderId: "4004",
        status: "filled",
        filled: 0.05,
        average: 3000,
        cost: 150,
        feeCost: 0.00005,
        feeCurrency: "ETH",
      }),
    ],
  ]);
  const executor = new ScriptedExecutor(known);
  const report = await reconcileVenue(store, executor, {
    venue: "binance",
    mode: "testnet",
    now: () => at(60_000),
    graceMs: 30_000,
    rulesFor: () => RULES,
  });
  const byId = (id: string) => store.orders.find((o) => o.id === id)!;

  await t.step("an order without exchange id is looked up by client order id and recorded", () => {
    assert.ok(executor.lookups.includes(`client:${sent.client_order_id}`));
    assert.equal(byId(sent.id).order_status, "open");
    assert.equal(byId(sent.id).exchange_order_id, "5005");
  });
  await t.step("a pending_submit the venue never saw becomes rejected after the grace period", () => {
    assert.equal(byId(neverSent.id).order_status, "rejected");
    assert.match(byId(neverSent.id).last_error ?? "", /never arrived/);
  });
  await t.step("a young pending_submit is left for later", () => {
    assert.equal(byId(young.id).order_status, "pending_submit");
  });
  await t.step("an acknowledged order that disappeared becomes expired, looked up by exchange id", () => {
    assert.ok(executor.lookups.includes("id:3003"));
    assert.equal(byId(acked.id).order_status, "expired");
  });
  await t.step("positions advance from their orders", () => {
    const p = store.positions.find((x) => x.id === position.id)!;
    assert.equal(p.status, "open");
    assert.equal(p.entry_qty, 0.05);
    assert.equal(p.entry_avg_px, 3000);
    assert.equal(report.positionEvents.opened, 1);
    assert.equal(report.ordersChecked, 5);
  });

  await t.step("a lookup that fails leaves orders untouched", async () => {
    const store2 = new MemoryTradeStore(() => T0);
    const o = await recordIntent(store2, intent(), at(0));
    const failing = new ScriptedExecutor(new Map(), new TemporaryExchangeError("timeout"));
    const r = await reconcileVenue(store2, failing, {
      venue: "binance",
      mode: "testnet",
      now: () => at(600_000),
      rulesFor: () => RULES,
    });
    assert.equal(r.notes.lookup_failed, 1);
    assert.equal(store2.orders.find((x) => x.id === o.id)!.order_status, "pending_submit");
  });

  await t.step("a final error other than not-found is not mistaken for a lost order", async () => {
    const store3 = new MemoryTradeStore(() => T0);
    const o = await recordIntent(store3, intent(), at(0));
    const failing = new ScriptedExecutor(
      new Map(),
      new FinalExchangeError("permission", { source: "PermissionDenied" }),
    );
    await reconcileVenue(store3, failing, {
      venue: "binance",
      mode: "testnet",
      now: () => at(600_000),
      rulesFor: () => RULES,
    });
    assert.equal(store3.orders.find((x) => x.id === o.id)!.order_status, "pending_submit");
  });
});

Deno.test("paper fills follow the touch", async (t) => {
  const market = { base: "ETH", quote: "USDT", maker: 0.0008, taker: 0.001 };
  await t.step("a resting limit buy fills at its price, as maker, once the ask reaches it", () => {
    const order = { side: "buy" as const, type: "limit" as const, price: 3000, amount: 0.05 };
    assert.equal(matchPaperOrder(order, { bid: 2999, ask: 3001 }, market, true)!.status, "open");
    const fill = matchPaperOrder(order, { bid: 2998, ask: 3000 }, market, false)!;
    assert.equal(fill.status, "filled");
    assert.equal(fill.average, 3000);
    assert.equal(fill.cost, 150);
    assert.equal(fill.feeCurrency, "ETH");
    assert.equal(fill.feeCost, 0.00004);
    assert.equal(fill.isMaker, true);
  });
  await t.step("a marketable limit takes the touch as taker on arrival", () => {
    const order = { side: "buy" as const, type: "limit" as const, price: 3005, amount: 0.05 };
    const fill = matchPaperOrder(order, { bid: 2999, ask: 3001 }, market, true)!;
    assert.equal(fill.average, 3001);
    assert.equal(fill.isMaker, false);
    assert.equal(fill.feeCost, 0.00005);
  });
  await t.step("a market sell fills at the bid with the fee in quote", () => {
    const order = { side: "sell" as const, type: "market" as const, price: null, amount: 0.05 };
    const fill = matchPaperOrder(order, { bid: 3010, ask: 3012 }, market, true)!;
    assert.equal(fill.average, 3010);
    assert.equal(fill.cost, 150.5);
    assert.equal(fill.feeCurrency, "USDT");
    assert.equal(fill.feeCost, 0.1505);
  });
  await t.step("a limit sell rests until the bid reaches it; a broken quote changes nothing", () => {
    const order = { side: "sell" as const, type: "limit" as const, price: 3020, amount: 0.05 };
    assert.equal(matchPaperOrder(order, { bid: 3010, ask: 3012 }, market, false)!.status, "open");
    assert.equal(matchPaperOrder(order, { bid: 3021, ask: 3022 }, market, false)!.average, 3020);
    assert.equal(matchPaperOrder(order, { bid: Number.NaN, ask: 3022 }, market, false), null);
  });
});
