// Conformance: Binance spot OCO order lists (new-style POST /api/v3/orderList/oco) in the simulator, driven by
// unmodified ccxt's implicit API methods over loopback HTTP, with prices scripted by the test.

import assert from "node:assert/strict";
import { BadRequest, DDoSProtection, type Exchange, ExchangeNotAvailable, InvalidOrder } from "ccxt";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import { createCcxtClient } from "../../supabase/functions/_shared/exchange/ccxt_client.ts";

const BTC = "BTC/USDT";

async function withSim(
  options: { topOfBookQty?: number },
  body: (sim: Simulator, ex: Exchange) => Promise<void>,
): Promise<void> {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.binance.marketList = "short";
  if (options.topOfBookQty !== undefined) {
    config.binance.markets = config.binance.markets.map((m) => ({ ...m, topOfBookQty: options.topOfBookQty! }));
  }
  const sim = await startSimulator({ seed: 17, config });
  sim.market.setQuote("binance", BTC, { bid: 60_000, ask: 60_010 });
  const ex = createCcxtClient("binance", {
    baseUrl: sim.binance.baseUrl,
    apiKey: sim.binance.apiKey,
    secret: sim.binance.secret,
  });
  try {
    await ex.loadMarkets();
    await body(sim, ex);
  } finally {
    await ex.close();
    await sim.stop();
  }
}

/** A header of ccxt's last HTTP answer (ccxt capitalises the names). */
function lastHeader(ex: Exchange, name: string): string | undefined {
  const headers = (ex.last_response_headers ?? {}) as Record<string, string>;
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

interface ListAnswer {
  orderListId: number;
  contingencyType: string;
  listStatusType: string;
  listOrderStatus: string;
  listClientOrderId: string;
  orders: { orderId: number; clientOrderId: string }[];
  orderReports?: { orderId: number; type: string; status: string; stopPrice?: string; orderListId: number }[];
}

/** A SELL OCO on 0.01 BTC: take profit LIMIT_MAKER at 61 000, stop at 59 000 (limit 58 900 unless a market stop). */
function sellOco(ex: Exchange, extra: Record<string, string> = {}): Promise<ListAnswer> {
  return ex.privatePostOrderListOco({
    symbol: "BTCUSDT",
    side: "SELL",
    quantity: "0.01",
    listClientOrderId: "bracket-1",
    aboveType: "LIMIT_MAKER",
    abovePrice: "61000",
    aboveClientOrderId: "tp-1",
    belowType: "STOP_LOSS_LIMIT",
    belowStopPrice: "59000",
    belowPrice: "58900",
    belowTimeInForce: "GTC",
    belowClientOrderId: "sl-1",
    ...extra,
  });
}

async function listStatus(ex: Exchange, orderListId: number): Promise<ListAnswer> {
  return await ex.privateGetOrderList({ orderListId }) as ListAnswer;
}

Deno.test("OCO placed: two legs (stop below, limit maker above) visible as orders with orderListId; the base is locked once", async () => {
  await withSim({}, async (_sim, ex) => {
    const list = await sellOco(ex);
    assert.equal(list.contingencyType, "OCO");
    assert.equal(list.listStatusType, "EXEC_STARTED");
    assert.equal(list.listOrderStatus, "EXECUTING");
    assert.equal(list.listClientOrderId, "bracket-1");
    assert.deepEqual(list.orders.map((o) => o.clientOrderId), ["sl-1", "tp-1"]);
    assert.deepEqual(list.orderReports!.map((r) => [r.type, r.status, r.stopPrice]), [
      ["STOP_LOSS_LIMIT", "NEW", "59000.00000000"],
      ["LIMIT_MAKER", "NEW", undefined],
    ]);
    assert.equal(lastHeader(ex, "x-mbx-order-count-10s"), "2", "an OCO counts two orders");

    const open = await ex.fetchOpenOrders(BTC);
    assert.deepEqual(open.map((o) => [o.clientOrderId, o.info.orderListId, o.triggerPrice]), [
      ["tp-1", list.orderListId, undefined], // by order id: the limit leg is placed first
      ["sl-1", list.orderListId, 59_000],
    ]);
    const stop = await ex.fetchOrder(String(list.orders[0].orderId), BTC);
    assert.equal(stop.info.isWorking, false, "the stop waits for its trigger");
    const balance = await ex.fetchBalance();
    assert.equal(balance.BTC.used, 0.01);
    assert.equal(balance.BTC.free, 0.09);
    const openLists = await ex.privateGetOpenOrderList() as ListAnswer[];
    assert.deepEqual(openLists.map((l) => l.orderListId), [list.orderListId]);
  });
});

Deno.test("OCO take profit: the bid reaching the limit fills it as maker, the stop leg is cancelled, the list is ALL_DONE", async () => {
  await withSim({}, async (sim, ex) => {
    const list = await sellOco(ex);
    sim.market.setQuote("binance", BTC, { bid: 61_000, ask: 61_010 });
    const after = await listStatus(ex, list.orderListId);
    assert.equal(after.listStatusType, "ALL_DONE");
    assert.equal(after.listOrderStatus, "ALL_DONE");
    const [stop, limit] = await Promise.all(list.orders.map((o) => ex.fetchOrder(String(o.orderId), BTC)));
    assert.equal(limit.status, "closed");
    assert.equal(limit.filled, 0.01);
    assert.equal(stop.status, "canceled");
    const trades = await ex.fetchMyTrades(BTC);
    assert.deepEqual(trades.map((t) => [t.side, t.price, t.amount, t.takerOrMaker]), [["sell", 61_000, 0.01, "maker"]]);
    assert.equal((await ex.fetchBalance()).BTC.used, 0);
    assert.deepEqual(await ex.privateGetOpenOrderList(), []);
  });
});

Deno.test("OCO partial fill of the limit leg cancels the stop at once; the limit leg fills on over later steps", async () => {
  await withSim({ topOfBookQty: 0.004 }, async (sim, ex) => {
    const list = await sellOco(ex);
    sim.market.setQuote("binance", BTC, { bid: 61_000, ask: 61_010 });
    const limit = await ex.fetchOrder(String(list.orders[1].orderId), BTC);
    assert.equal(limit.status, "open");
    assert.equal(limit.filled, 0.004);
    assert.equal((await ex.fetchOrder(String(list.orders[0].orderId), BTC)).status, "canceled");
    assert.equal((await listStatus(ex, list.orderListId)).listOrderStatus, "ALL_DONE");
    sim.market.setQuote("binance", BTC, { bid: 61_000, ask: 61_010 });
    sim.market.setQuote("binance", BTC, { bid: 61_000, ask: 61_010 });
    const done = await ex.fetchOrder(String(list.orders[1].orderId), BTC);
    assert.equal(done.status, "closed");
    assert.equal(done.filled, 0.01);
  });
});

Deno.test("OCO stop: the bid falling to the stop triggers it (limit leg cancelled), the stop-limit sells at the touch", async () => {
  await withSim({}, async (sim, ex) => {
    const list = await sellOco(ex);
    sim.market.setQuote("binance", BTC, { bid: 59_500, ask: 59_510 });
    assert.equal((await listStatus(ex, list.orderListId)).listOrderStatus, "EXECUTING", "not yet at the stop");
    sim.market.setQuote("binance", BTC, { bid: 59_000, ask: 59_010 });
    const [stop, limit] = await Promise.all(list.orders.map((o) => ex.fetchOrder(String(o.orderId), BTC)));
    assert.equal(limit.status, "canceled");
    assert.equal(stop.status, "closed");
    assert.equal(stop.info.isWorking, false);
    const trades = await ex.fetchMyTrades(BTC);
    assert.deepEqual(trades.map((t) => [t.side, t.price, t.amount, t.takerOrMaker]), [["sell", 59_000, 0.01, "taker"]]);
    assert.equal((await listStatus(ex, list.orderListId)).listStatusType, "ALL_DONE");
    const balance = await ex.fetchBalance();
    assert.equal(balance.BTC.total, 0.09);
    assert.equal(balance.BTC.used, 0);
  });
});

Deno.test("OCO with a market STOP_LOSS below, and a BUY OCO (stop above, limit maker below)", async () => {
  await withSim({}, async (sim, ex) => {
    const sell = await sellOco(ex, { belowType: "STOP_LOSS", belowPrice: "", belowTimeInForce: "" });
    assert.equal(sell.orderReports![0].type, "STOP_LOSS");
    sim.market.setQuote("binance", BTC, { bid: 58_000, ask: 58_010 }); // gapped through the stop
    const trades = await ex.fetchMyTrades(BTC);
    assert.deepEqual(trades.map((t) => [t.side, t.price]), [["sell", 58_000]], "a market stop takes the bid");

    const buy = await ex.privatePostOrderListOco({
      symbol: "BTCUSDT",
      side: "BUY",
      quantity: "0.01",
      aboveType: "STOP_LOSS",
      aboveStopPrice: "59000",
      belowType: "LIMIT_MAKER",
      belowPrice: "57000",
    }) as ListAnswer;
    assert.deepEqual(buy.orderReports!.map((r) => r.type), ["LIMIT_MAKER", "STOP_LOSS"]);
    assert.equal((await ex.fetchBalance()).USDT.used, 570, "the limit maker locks its quote");
    sim.market.setQuote("binance", BTC, { bid: 58_990, ask: 59_000 });
    const all = await ex.fetchMyTrades(BTC);
    assert.deepEqual(all.map((t) => [t.side, t.price]), [["sell", 58_000], ["buy", 59_000]]);
    assert.equal((await ex.fetchBalance()).USDT.used, 0);
  });
});

Deno.test("cancelling: DELETE orderList cancels both legs; cancelling one leg cancels the list", async () => {
  await withSim({}, async (_sim, ex) => {
    const first = await sellOco(ex);
    const cancelled = await ex.privateDeleteOrderList({
      symbol: "BTCUSDT",
      orderListId: first.orderListId,
    }) as ListAnswer;
    assert.equal(cancelled.listOrderStatus, "ALL_DONE");
    assert.deepEqual(cancelled.orderReports!.map((r) => r.status), ["CANCELED", "CANCELED"]);
    assert.equal((await ex.fetchBalance()).BTC.used, 0);

    const second = await sellOco(ex, {
      listClientOrderId: "bracket-2",
      aboveClientOrderId: "tp-2",
      belowClientOrderId: "sl-2",
    });
    await ex.cancelOrder(String(second.orders[1].orderId), BTC);
    assert.equal((await ex.fetchOrder(String(second.orders[0].orderId), BTC)).status, "canceled");
    const byClientId = await ex.privateGetOrderList({ origClientOrderId: "bracket-2" }) as ListAnswer;
    assert.equal(byClientId.listOrderStatus, "ALL_DONE");
    await assert.rejects(ex.privateDeleteOrderList({ symbol: "BTCUSDT", orderListId: 999 }), (err: unknown) => {
      assert.ok(String(err).includes("-2011"), String(err));
      return true;
    });
  });
});

Deno.test("invalid lists are refused with Binance's codes and place nothing", async (t) => {
  await withSim({}, async (sim, ex) => {
    await t.step("prices on the wrong side of the last price → -2010 (ccxt InvalidOrder)", async () => {
      await assert.rejects(sellOco(ex, { abovePrice: "59500" }), (err: unknown) => {
        assert.ok(err instanceof InvalidOrder, String(err));
        assert.ok(String(err).includes("The relationship of the prices for the orders is not correct."), String(err));
        return true;
      });
    });
    await t.step("a price off the tick → -1013 PRICE_FILTER (ccxt InvalidOrder)", async () => {
      await assert.rejects(sellOco(ex, { belowStopPrice: "59000.005" }), (err: unknown) => {
        assert.ok(err instanceof InvalidOrder && String(err).includes("PRICE_FILTER"), String(err));
        return true;
      });
    });
    await t.step("a missing stop price → -1102 (ccxt BadRequest)", async () => {
      await assert.rejects(sellOco(ex, { belowStopPrice: "" }), (err: unknown) => {
        assert.ok(err instanceof BadRequest && String(err).includes("belowStopPrice"), String(err));
        return true;
      });
    });
    assert.deepEqual(await ex.fetchOpenOrders(BTC), []);
    assert.equal((await ex.fetchBalance()).BTC.used, 0);
    const refused = sim.requestLog.list({ venue: "binance", path: "/api/v3/orderList/oco" });
    assert.deepEqual(refused.map((e) => e.status), [400, 400, 400]);
  });
});

Deno.test("faults reach the order-list endpoints: unknown_after_place leaves the list in place, findable by its client id", async () => {
  await withSim({}, async (sim, ex) => {
    sim.faults.add({
      venue: "binance",
      kind: "unknown_after_place",
      path: "/api/v3/orderList/*",
      method: "POST",
      times: 1,
    });
    await assert.rejects(sellOco(ex), (err: unknown) => {
      assert.ok(err instanceof ExchangeNotAvailable, String(err));
      return true;
    });
    const found = await ex.privateGetOrderList({ origClientOrderId: "bracket-1" }) as ListAnswer;
    assert.equal(found.listOrderStatus, "EXECUTING");
    sim.faults.add({ venue: "binance", kind: "rate_limit", path: "/api/v3/openOrderList", times: 1 });
    await assert.rejects(ex.privateGetOpenOrderList(), (err: unknown) => {
      assert.ok(err instanceof DDoSProtection, String(err));
      return true;
    });
    assert.equal((await ex.privateGetOpenOrderList() as ListAnswer[]).length, 1);
  });
});

/** OTOCO: buy 0.01 BTC at 59 900, then a SELL OCO (take profit 61 000, market stop 59 000) once that has filled. */
function otoco(ex: Exchange, extra: Record<string, string> = {}): Promise<ListAnswer> {
  return ex.privatePostOrderListOtoco({
    symbol: "BTCUSDT",
    listClientOrderId: "otoco-1",
    workingType: "LIMIT",
    workingSide: "BUY",
    workingPrice: "59900",
    workingQuantity: "0.01",
    workingTimeInForce: "GTC",
    workingClientOrderId: "entry-1",
    pendingSide: "SELL",
    pendingQuantity: "0.01",
    pendingAboveType: "LIMIT_MAKER",
    pendingAbovePrice: "61000",
    pendingBelowType: "STOP_LOSS",
    pendingBelowStopPrice: "59000",
    ...extra,
  });
}

Deno.test("OTOCO: the pending OCO is PENDING_NEW and locks nothing until the working order fills, then works as an OCO", async () => {
  await withSim({}, async (sim, ex) => {
    const list = await otoco(ex);
    assert.equal(list.contingencyType, "OTO");
    assert.equal(list.listOrderStatus, "EXECUTING");
    assert.deepEqual(list.orderReports!.map((r) => [r.type, r.status]), [
      ["LIMIT", "NEW"],
      ["STOP_LOSS", "PENDING_NEW"],
      ["LIMIT_MAKER", "PENDING_NEW"],
    ]);
    assert.equal(lastHeader(ex, "x-mbx-order-count-10s"), "3", "an OTOCO counts three orders");
    assert.equal((await ex.fetchOpenOrders(BTC)).length, 3);
    let balance = await ex.fetchBalance();
    assert.equal(balance.USDT.used, 599, "only the working buy locks");
    assert.equal(balance.BTC.used, 0);

    sim.market.setQuote("binance", BTC, { bid: 58_990, ask: 59_000 }); // below the stop, but the OCO is not live yet
    assert.deepEqual((await ex.fetchMyTrades(BTC)).map((t) => [t.side, t.price]), [["buy", 59_900]]);
    // the working buy filled as maker at 59 900: the legs work now; the market stop sees bid 58 990 on the next step
    const legs = await Promise.all(list.orders.slice(1).map((o) => ex.fetchOrder(String(o.orderId), BTC)));
    assert.deepEqual(legs.map((o) => o.info.status), ["NEW", "NEW"]);
    balance = await ex.fetchBalance();
    assert.equal(balance.BTC.used, 0.01, "the take profit leg locks the bought BTC");

    sim.market.setQuote("binance", BTC, { bid: 61_000, ask: 61_010 });
    const trades = await ex.fetchMyTrades(BTC);
    assert.deepEqual(trades.map((t) => [t.side, t.price, t.takerOrMaker]), [["buy", 59_900, "maker"], [
      "sell",
      61_000,
      "maker",
    ]]);
    const done = await listStatus(ex, list.orderListId);
    assert.equal(done.listOrderStatus, "ALL_DONE");
    assert.equal((await ex.fetchOrder(String(list.orders[1].orderId), BTC)).status, "canceled");
  });
});

Deno.test("OTOCO: cancelling the working order cancels the held legs; pending prices on the wrong side of the working price → -2010", async () => {
  await withSim({}, async (_sim, ex) => {
    const list = await otoco(ex);
    await ex.cancelOrder(String(list.orders[0].orderId), BTC);
    const after = await ex.privateGetOrderList({ orderListId: list.orderListId }) as ListAnswer;
    assert.equal(after.listOrderStatus, "ALL_DONE");
    const legs = await Promise.all(list.orders.map((o) => ex.fetchOrder(String(o.orderId), BTC)));
    assert.deepEqual(legs.map((o) => o.status), ["canceled", "canceled", "canceled"]);
    assert.equal((await ex.fetchBalance()).USDT.used, 0);

    await assert.rejects(otoco(ex, { listClientOrderId: "otoco-2", pendingAbovePrice: "59800" }), (err: unknown) => {
      assert.ok(err instanceof InvalidOrder && String(err).includes("relationship of the prices"), String(err));
      return true;
    });
    assert.deepEqual(await ex.fetchOpenOrders(BTC), [], "the refused OTOCO left no working order behind");
  });
});
