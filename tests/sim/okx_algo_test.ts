// Conformance: OKX algo orders in the simulator (POST trade/order-algo oco / conditional, the algo lists, cancel-algos,
// and attachAlgoOrds on trade/order), driven by unmodified ccxt `okx` over loopback HTTP, prices scripted by the test.

import assert from "node:assert/strict";
import { type Exchange, InvalidOrder } from "ccxt";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import { createCcxtClient } from "../../supabase/functions/_shared/exchange/ccxt_client.ts";

const BTC = "BTC/USDT";

async function withSim(body: (sim: Simulator, ex: Exchange) => Promise<void>): Promise<void> {
  const config = defaultSimConfig();
  config.okx.priceStepIntervalMs = 0;
  config.okx.marketList = "short";
  const sim = await startSimulator({ seed: 19, config });
  sim.market.setQuote("okx", BTC, { bid: 60_000, ask: 60_010 });
  const ex = createCcxtClient("okx", {
    baseUrl: sim.okx.baseUrl,
    apiKey: sim.okx.apiKey,
    secret: sim.okx.secret,
    password: sim.okx.passphrase,
  });
  try {
    await ex.loadMarkets();
    await body(sim, ex);
  } finally {
    await ex.close();
    await sim.stop();
  }
}

type AlgoRow = Record<string, string>;

async function algos(
  ex: Exchange,
  kind: "pending" | "history",
  extra: Record<string, string> = {},
): Promise<AlgoRow[]> {
  const call = kind === "pending" ? ex.privateGetTradeOrdersAlgoPending : ex.privateGetTradeOrdersAlgoHistory;
  const res = await call.call(ex, { ordType: "oco,conditional", ...extra }) as { data: AlgoRow[] };
  return res.data;
}

Deno.test("ccxt createOrder type 'oco' with takeProfitPrice and stopLossPrice places an OKX oco algo; the bid reaching the TP fires it", async () => {
  await withSim(async (sim, ex) => {
    // ccxt 4.5.84 routes to trade/order-algo only with type "oco": with another type it sends ordType "oco" to
    // batch-orders (tdMode "cross"), which the simulator, like OKX, refuses.
    const placed = await ex.createOrder(BTC, "oco", "sell", 0.01, undefined, {
      takeProfitPrice: 61_000,
      stopLossPrice: 59_000,
      clientOrderId: "bracket1",
    });
    assert.ok(placed.id, "ccxt returns the algoId as the order id");
    const pending = await algos(ex, "pending");
    assert.deepEqual(
      pending.map((
        a,
      ) => [
        a.algoId,
        a.ordType,
        a.state,
        a.side,
        a.sz,
        a.tpTriggerPx,
        a.tpOrdPx,
        a.slTriggerPx,
        a.slOrdPx,
        a.algoClOrdId,
      ]),
      [
        [placed.id, "oco", "live", "sell", "0.01", "61000", "-1", "59000", "-1", "bracket1"],
      ],
    );
    assert.equal((await ex.fetchBalance()).BTC.used, 0, "an algo locks nothing until it fires");
    const open = await ex.fetchOpenOrders(BTC, undefined, undefined, { ordType: "oco" });
    assert.deepEqual(open.map((o) => o.id), [placed.id]);

    sim.market.setQuote("okx", BTC, { bid: 61_000, ask: 61_010 });
    assert.deepEqual(await algos(ex, "pending"), []);
    const [done] = await algos(ex, "history", { state: "effective" });
    assert.equal(done.algoId, placed.id);
    assert.equal(done.actualSide, "tp");
    assert.ok(done.ordId !== "", "the algo placed an order");
    const order = await ex.fetchOrder(done.ordId, BTC);
    assert.equal(order.status, "closed");
    assert.equal(order.side, "sell");
    assert.equal(order.average, 61_000, "a market TP sells at the bid");
    const one = await ex.privateGetTradeOrderAlgo({ algoClOrdId: "bracket1" }) as { data: AlgoRow[] };
    assert.equal(one.data[0].state, "effective");
  });
});

Deno.test("an oco's stop loss fires when the bid falls to it, placing a limit order at slOrdPx", async () => {
  await withSim(async (sim, ex) => {
    const res = await ex.privatePostTradeOrderAlgo({
      instId: "BTC-USDT",
      tdMode: "cash",
      side: "sell",
      ordType: "oco",
      sz: "0.01",
      tpTriggerPx: "61000",
      tpOrdPx: "-1",
      slTriggerPx: "59000",
      slOrdPx: "58900",
      algoClOrdId: "sl1",
    }) as { code: string; data: AlgoRow[] };
    assert.equal(res.code, "0");
    sim.market.setQuote("okx", BTC, { bid: 59_000, ask: 59_010 });
    const [done] = await algos(ex, "history", { state: "effective" });
    assert.equal(done.actualSide, "sl");
    const order = await ex.fetchOrder(done.ordId, BTC);
    assert.equal(order.type, "limit");
    assert.equal(order.price, 58_900);
    assert.equal(order.status, "closed", "the bid 59 000 crosses a 58 900 sell limit at once");
    assert.equal(order.average, 59_000);
  });
});

Deno.test("cancel-algos cancels a live algo (ccxt cancelOrder with trigger: true); history shows it canceled", async () => {
  await withSim(async (_sim, ex) => {
    const placed = await ex.createOrder(BTC, "market", "sell", 0.01, undefined, { stopLossPrice: 59_000 });
    const [live] = await algos(ex, "pending");
    assert.equal(live.ordType, "conditional");
    await ex.cancelOrder(placed.id!, BTC, { trigger: true });
    assert.deepEqual(await algos(ex, "pending"), []);
    const [canceled] = await algos(ex, "history", { state: "canceled" });
    assert.equal(canceled.algoId, placed.id);
    const again = await ex.privatePostTradeCancelAlgos([{ instId: "BTC-USDT", algoId: placed.id }]).catch((
      e: unknown,
    ) => e);
    assert.ok(String(again).includes("51000"), String(again));
  });
});

Deno.test("trigger prices on the wrong side of the last price are refused with 51277-51280 (ccxt InvalidOrder)", async (t) => {
  await withSim(async (_sim, ex) => {
    const cases: [string, Record<string, number>, string][] = [
      ["sell", { takeProfitPrice: 59_500, stopLossPrice: 59_000 }, "51279"],
      ["sell", { takeProfitPrice: 61_000, stopLossPrice: 60_500 }, "51280"],
      ["buy", { takeProfitPrice: 60_500, stopLossPrice: 61_000 }, "51277"],
      ["buy", { takeProfitPrice: 59_000, stopLossPrice: 59_500 }, "51278"],
    ];
    for (const [side, prices, code] of cases) {
      await t.step(`${side} ${JSON.stringify(prices)} → ${code}`, async () => {
        await assert.rejects(
          ex.createOrder(BTC, "oco", side as "buy" | "sell", 0.01, undefined, prices),
          (err: unknown) => {
            assert.ok(err instanceof InvalidOrder && String(err).includes(code), String(err));
            return true;
          },
        );
      });
    }
    assert.deepEqual(await algos(ex, "pending"), []);
  });
});

Deno.test("attachAlgoOrds on POST trade/order (ccxt takeProfit/stopLoss objects) go live once the entry fills, for what it filled", async () => {
  await withSim(async (sim, ex) => {
    const entry = await ex.createOrder(BTC, "limit", "buy", 0.01, 59_500, {
      takeProfit: { triggerPrice: 62_000 },
      stopLoss: { triggerPrice: 58_000, price: 57_900 },
    });
    assert.equal((await ex.fetchOrder(entry.id!, BTC)).status, "open");
    const body = sim.requestLog.list({ venue: "okx", path: "/api/v5/trade/batch-orders" });
    assert.equal(body.length, 1, "ccxt sends the entry with attachAlgoOrds through batch-orders");
    assert.deepEqual(await algos(ex, "pending"), [], "not live before the entry fills");

    sim.market.setQuote("okx", BTC, { bid: 59_490, ask: 59_500 }); // the entry fills as maker
    const [live] = await algos(ex, "pending");
    assert.deepEqual([
      live.ordType,
      live.side,
      live.sz,
      live.tpTriggerPx,
      live.tpOrdPx,
      live.slOrdPx,
      live.attachedOrdId,
    ], [
      "oco",
      "sell",
      "0.01",
      "62000",
      "-1",
      "57900",
      entry.id,
    ]);
    sim.market.setQuote("okx", BTC, { bid: 58_000, ask: 58_010 });
    const [fired] = await algos(ex, "history", { state: "effective" });
    assert.equal(fired.actualSide, "sl");
    const trades = await ex.fetchMyTrades(BTC);
    assert.deepEqual(trades.map((t) => [t.side, t.price]), [["buy", 59_500], ["sell", 58_000]]);
  });
});

Deno.test("an attached TP/SL whose entry is cancelled unfilled is cancelled with it", async () => {
  await withSim(async (_sim, ex) => {
    const entry = await ex.createOrder(BTC, "limit", "buy", 0.01, 59_500, { stopLoss: { triggerPrice: 58_000 } });
    await ex.cancelOrder(entry.id!, BTC);
    const [canceled] = await algos(ex, "history", { state: "canceled" });
    assert.equal(canceled.attachedOrdId, entry.id);
  });
});
