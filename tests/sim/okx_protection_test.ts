// Conformance: the OKX oco algo calls the bot's protection makes (venue_client.ts's createProtectionAlgo,
// fetchProtectionAlgo, fetchOpenProtectionAlgos, cancelProtectionAlgo: unmodified ccxt's unified createOrder type
// "oco", fetchOrder / cancelOrder with trigger: true, fetchOpenOrders with ordType "oco") against the simulator over
// loopback HTTP, prices scripted by the test; and invalid lists answered with OKX's codes.

import assert from "node:assert/strict";
import { BadRequest, type Exchange, InvalidOrder } from "ccxt";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import { createCcxtClient } from "../../supabase/functions/_shared/exchange/ccxt_client.ts";
import { FinalExchangeError } from "../../supabase/functions/_shared/exchange/errors.ts";
import type { ProtectionListRequest } from "../../supabase/functions/_shared/exchange/protection_orders.ts";
import { createVenueClient, type VenueClient } from "../../supabase/functions/_shared/exchange/venue_client.ts";
import { POLL_MS } from "../../supabase/functions/_shared/orders/algo_legs.ts";
import { ExchangeExecutor } from "../../supabase/functions/_shared/orders/exchange_executor.ts";
import type { OrderRow } from "../../supabase/functions/_shared/orders/types.ts";

const BTC = "BTC/USDT";

async function withSim(
  options: { topOfBookQty?: number; minQty?: number },
  body: (sim: Simulator, client: Required<VenueClient>, ex: Exchange) => Promise<void>,
): Promise<void> {
  const config = defaultSimConfig();
  config.okx.priceStepIntervalMs = 0;
  config.okx.marketList = "short";
  if (options.topOfBookQty !== undefined) {
    config.okx.markets = config.okx.markets.map((m) => ({ ...m, topOfBookQty: options.topOfBookQty! }));
  }
  if (options.minQty !== undefined) {
    config.okx.markets = config.okx.markets.map((m) => m.symbol === BTC ? { ...m, minQty: options.minQty! } : m);
  }
  const sim = await startSimulator({ seed: 23, config });
  sim.market.setQuote("okx", BTC, { bid: 60_000, ask: 60_010 });
  sim.market.setBalance("okx", "BTC", 1);
  const ex = createCcxtClient("okx", {
    baseUrl: sim.okx.baseUrl,
    apiKey: sim.okx.apiKey,
    secret: sim.okx.secret,
    password: sim.okx.passphrase,
  });
  const client = createVenueClient("okx", ex, { retry: { attempts: 1 } });
  try {
    await client.loadMarkets();
    await body(sim, client as Required<VenueClient>, ex);
  } finally {
    await ex.close();
    await sim.stop();
  }
}

/** A long's protection on `amount` BTC: take profit limit at 61 000, stop triggered at 59 000 with a limit at 58 700. */
const list = (
  listClientId: string,
  amount = 0.01,
  extra: Partial<ProtectionListRequest> = {},
): ProtectionListRequest => ({
  symbol: BTC,
  amount,
  listClientId,
  takeProfit: { price: 61_000, clientOrderId: `${listClientId}tp` },
  stopLoss: { triggerPrice: 59_000, price: 58_700, clientOrderId: `${listClientId}sl` },
  ...extra,
});

Deno.test("the oco is placed on POST trade/order-algo in cash mode with limit prices for both legs, and reads live", async () => {
  await withSim({}, async (sim, client) => {
    const before = sim.requestLog.lastId();
    const { algoId } = await client.createProtectionAlgo(list("sbokx1"));
    const sent = sim.requestLog.list({ afterId: before, venue: "okx" }).map((e) => `${e.method} ${e.path}`);
    assert.deepEqual(sent, ["POST /api/v5/trade/order-algo"]);
    const algo = await client.fetchProtectionAlgo({ algoId, listClientId: null }, BTC);
    assert.deepEqual([algo.algoId, algo.listClientId, algo.state, algo.triggeredLeg, algo.orderId], [
      algoId,
      "sbokx1",
      "live",
      null,
      null,
    ]);
    const raw = algo.raw as Record<string, string>;
    assert.deepEqual(
      [raw.ordType, raw.side, raw.sz, raw.tdMode, raw.tpTriggerPx, raw.tpOrdPx, raw.slTriggerPx, raw.slOrdPx],
      ["oco", "sell", "0.01", "cash", "61000", "61000", "59000", "58700"],
      "a spot sell in cash mode (never a margin sell), the take profit a limit at its trigger",
    );
    const byClientId = await client.fetchProtectionAlgo({ algoId: null, listClientId: "sbokx1" }, BTC);
    assert.equal(byClientId.algoId, algoId, "found by algoClOrdId when the algoId never reached us");
    const open = await client.fetchOpenProtectionAlgos();
    assert.deepEqual(open.map((a) => [a.algoId, a.state]), [[algoId, "live"]]);
    assert.equal(sim.requestLog.list({ afterId: before, path: "/api/v5/trade/orders-algo-pending" }).length, 1);
  });
});

Deno.test("the bid reaching the target fires the take profit: the algo is effective (tp) and names the limit sell it placed", async () => {
  await withSim({}, async (sim, client) => {
    const { algoId } = await client.createProtectionAlgo(list("sbokx2"));
    sim.market.setQuote("okx", BTC, { bid: 61_000, ask: 61_010 });
    assert.deepEqual(await client.fetchOpenProtectionAlgos(), [], "no longer pending");
    const algo = await client.fetchProtectionAlgo({ algoId, listClientId: null }, BTC);
    assert.deepEqual([algo.state, algo.triggeredLeg], ["triggered", "take_profit"]);
    assert.ok(algo.orderId, "the order the algo created");
    const order = await client.fetchOrder(algo.orderId, BTC);
    assert.deepEqual([order.type, order.side, order.price, order.status, order.filled], [
      "limit",
      "sell",
      61_000,
      "closed",
      0.01,
    ]);
    assert.ok(order.fee?.cost && order.fee.cost > 0 && order.fee.currency === "USDT", JSON.stringify(order.fee));
    const trades = (await client.fetchMyTrades(BTC)).filter((t) => t.orderId === algo.orderId);
    assert.equal(trades.length, 1);
    assert.equal(trades[0].price, 61_000, "never below the target");
  });
});

Deno.test("the bid falling through the stop fires it: effective (sl), a stop-limit sell at the touch", async () => {
  await withSim({}, async (sim, client) => {
    const { algoId } = await client.createProtectionAlgo(list("sbokx3"));
    sim.market.setQuote("okx", BTC, { bid: 58_990, ask: 59_000 });
    const algo = await client.fetchProtectionAlgo({ algoId, listClientId: null }, BTC);
    assert.deepEqual([algo.state, algo.triggeredLeg], ["triggered", "stop_loss"]);
    const order = await client.fetchOrder(algo.orderId!, BTC);
    assert.deepEqual([order.price, order.status, order.average], [58_700, "closed", 58_990]);
  });
});

Deno.test("a thin book fills the fired take profit in parts; the order stays open with its partial fill", async () => {
  await withSim({ topOfBookQty: 0.004 }, async (sim, client) => {
    const { algoId } = await client.createProtectionAlgo(list("sbokx4"));
    sim.market.setQuote("okx", BTC, { bid: 61_000, ask: 61_010 });
    const algo = await client.fetchProtectionAlgo({ algoId, listClientId: null }, BTC);
    const order = await client.fetchOrder(algo.orderId!, BTC);
    assert.deepEqual([order.status, order.filled, order.remaining], ["open", 0.004, 0.006]);
  });
});

Deno.test("cancel-algos cancels a live oco; a second cancel is refused (final); lookup says canceled", async () => {
  await withSim({}, async (_sim, client) => {
    const { algoId } = await client.createProtectionAlgo(list("sbokx5"));
    await client.cancelProtectionAlgo(algoId, BTC);
    await assert.rejects(client.cancelProtectionAlgo(algoId, BTC), FinalExchangeError);
    const algo = await client.fetchProtectionAlgo({ algoId, listClientId: null }, BTC);
    assert.deepEqual([algo.state, algo.triggeredLeg, algo.orderId], ["cancelled", null, null]);
    await assert.rejects(
      client.fetchProtectionAlgo({ algoId: "999999999", listClientId: null }, BTC),
      (e: unknown) => e instanceof FinalExchangeError && /OrderNotFound/.test(String(e)),
    );
  });
});

Deno.test("a fired leg whose order the account cannot pay is order_failed: our reading says failed, nothing sold", async () => {
  await withSim({}, async (sim, client) => {
    const { algoId } = await client.createProtectionAlgo(list("sbokx6"));
    sim.market.setBalance("okx", "BTC", 0); // sold elsewhere in the meantime
    sim.market.setQuote("okx", BTC, { bid: 58_990, ask: 59_000 });
    const algo = await client.fetchProtectionAlgo({ algoId, listClientId: null }, BTC);
    assert.deepEqual([algo.state, algo.triggeredLeg, algo.orderId], ["failed", "stop_loss", null]);
    assert.equal((await client.fetchBalances()).BTC?.total ?? 0, 0, "the balance never goes negative");
  });
});

Deno.test("invalid lists are refused with OKX's codes (final errors) and place nothing", async (t) => {
  await withSim({ minQty: 0.001 }, async (_sim, client, ex) => {
    const cases: [string, ProtectionListRequest, string][] = [
      [
        "take profit below the last price",
        list("sbbad1", 0.01, { takeProfit: { price: 59_500, clientOrderId: "x" } }),
        "51279",
      ],
      [
        "stop above the last price",
        list("sbbad2", 0.01, { stopLoss: { triggerPrice: 60_500, price: 60_400, clientOrderId: "y" } }),
        "51280",
      ],
      ["size below the instrument's minSz (0.001)", list("sbbad3", 0.0005), "51020"],
    ];
    for (const [name, request, code] of cases) {
      await t.step(`${name} → ${code}`, async () => {
        await assert.rejects(client.createProtectionAlgo(request), (err: unknown) => {
          assert.ok(err instanceof FinalExchangeError && String(err).includes(code), String(err));
          return true;
        });
      });
    }
    // ccxt rounds sizes and prices onto the grid before sending, so these reach the venue only through the raw
    // endpoint: OKX's own answers for them.
    const raw = (extra: Record<string, string>) =>
      ex.privatePostTradeOrderAlgo({
        instId: "BTC-USDT",
        tdMode: "cash",
        side: "sell",
        ordType: "oco",
        sz: "0.01",
        tpTriggerPx: "61000",
        tpOrdPx: "61000",
        slTriggerPx: "59000",
        slOrdPx: "58700",
        ...extra,
      });
    await t.step("size off the lot grid → 51121 (InvalidOrder)", async () => {
      await assert.rejects(
        raw({ sz: "0.0123456" }),
        (e: unknown) => e instanceof InvalidOrder && /51121/.test(String(e)),
      );
    });
    await t.step("a leg price off the tick grid → 51000 (BadRequest)", async () => {
      await assert.rejects(
        raw({ tpOrdPx: "61000.005" }),
        (e: unknown) => e instanceof BadRequest && /51000/.test(String(e)),
      );
    });
    await t.step("an oco without its stop → 50014 (BadRequest)", async () => {
      await assert.rejects(
        raw({ slTriggerPx: "", slOrdPx: "" }),
        (e: unknown) => e instanceof BadRequest && /50014/.test(String(e)),
      );
    });
    assert.deepEqual(await client.fetchOpenProtectionAlgos(), []);
  });
});

// ---- the two orders rows over one algo (algo_legs.ts through ExchangeExecutor) ----------------------------------

function legRow(purpose: "take_profit" | "stop_loss", fields: Partial<OrderRow> = {}): OrderRow {
  const at = new Date().toISOString();
  return {
    id: `row-${purpose}`,
    client_order_id: `sbleg${purpose === "take_profit" ? "tp" : "sl"}0000000000000001`,
    exchange_order_id: null,
    venue: "okx",
    symbol: BTC,
    side: "sell",
    type: purpose === "take_profit" ? "limit" : "stop",
    price: purpose === "take_profit" ? 61_000 : 58_700,
    trigger_price: purpose === "take_profit" ? null : 59_000,
    amount: 0.01,
    filled: 0,
    remaining: 0.01,
    average: null,
    cost: 0,
    fee_cost: null,
    fee_currency: null,
    order_status: "pending_submit",
    purpose,
    position_id: "p1",
    mode: "testnet",
    last_error: null,
    raw: null,
    list_client_id: "sblist00000000000000001",
    exchange_list_id: null,
    created_at: at,
    submitted_at: null,
    updated_at: at,
    closed_at: null,
    ...fields,
  };
}

Deno.test("both legs read one algo: open while live (one pending list per poll interval), then the fired leg takes the algo's order and the sibling is cancelled", async () => {
  await withSim({}, async (sim, client) => {
    let now = 0;
    const executor = new ExchangeExecutor("testnet", client, { nowMs: () => now });
    const placed = await executor.createProtection!({
      takeProfit: legRow("take_profit"),
      stopLoss: legRow("stop_loss"),
    });
    assert.ok(placed.exchangeListId);
    assert.deepEqual([placed.takeProfit.status, placed.stopLoss.status], ["open", "open"]);
    const tp = legRow("take_profit", { exchange_list_id: placed.exchangeListId, order_status: "open" });
    const sl = legRow("stop_loss", { exchange_list_id: placed.exchangeListId, order_status: "open" });

    const before = sim.requestLog.lastId();
    for (let tick = 0; tick < 3; tick++) {
      assert.equal((await executor.lookup(tp))?.status, "open");
      assert.equal((await executor.lookup(sl))?.status, "open");
      now += POLL_MS / 4;
    }
    const reads = () => sim.requestLog.list({ afterId: before, venue: "okx" }).map((e) => e.path);
    assert.deepEqual(reads(), ["/api/v5/trade/orders-algo-pending"], "six leg reads within a poll interval: one list");

    sim.market.setQuote("okx", BTC, { bid: 61_000, ask: 61_010 });
    now += POLL_MS;
    const fired = await executor.lookup(tp);
    const sibling = await executor.lookup(sl);
    assert.deepEqual([fired?.status, fired?.filled, fired?.average], ["filled", 0.01, 61_000]);
    assert.ok(fired?.exchangeOrderId, "the fired leg's row takes the order the algo created");
    assert.ok(fired!.feeCost! > 0 && fired?.feeCurrency === "USDT");
    assert.deepEqual([sibling?.status, sibling?.filled, sibling?.exchangeOrderId], ["cancelled", 0, null]);
    const algoReads = reads().filter((p) => p === "/api/v5/trade/order-algo");
    assert.equal(algoReads.length, 1, "the sibling reuses the final answer: an effective algo never changes");
  });
});

Deno.test("cancelling one leg cancels the algo (one request); the sibling then reads cancelled without asking again", async () => {
  await withSim({}, async (sim, client) => {
    const executor = new ExchangeExecutor("testnet", client);
    const placed = await executor.createProtection!({
      takeProfit: legRow("take_profit"),
      stopLoss: legRow("stop_loss"),
    });
    const tp = legRow("take_profit", { exchange_list_id: placed.exchangeListId, order_status: "open" });
    const sl = legRow("stop_loss", { exchange_list_id: placed.exchangeListId, order_status: "open" });
    const before = sim.requestLog.lastId();
    assert.equal((await executor.cancel(tp))?.status, "cancelled");
    assert.equal((await executor.cancel(sl))?.status, "cancelled");
    const sent = sim.requestLog.list({ afterId: before, venue: "okx" }).map((e) => `${e.method} ${e.path}`);
    assert.deepEqual(sent, ["POST /api/v5/trade/cancel-algos", "GET /api/v5/trade/order-algo"]);
  });
});

Deno.test("a cancel that comes after the stop fired finds the sale: the stop leg filled, nothing left to sell twice", async () => {
  await withSim({}, async (sim, client) => {
    const executor = new ExchangeExecutor("testnet", client);
    const placed = await executor.createProtection!({
      takeProfit: legRow("take_profit"),
      stopLoss: legRow("stop_loss"),
    });
    const tp = legRow("take_profit", { exchange_list_id: placed.exchangeListId, order_status: "open" });
    const sl = legRow("stop_loss", { exchange_list_id: placed.exchangeListId, order_status: "open" });
    sim.market.setQuote("okx", BTC, { bid: 58_990, ask: 59_000 });
    assert.equal((await executor.cancel(tp))?.status, "cancelled");
    const stop = await executor.cancel(sl);
    assert.deepEqual([stop?.status, stop?.filled, stop?.average], ["filled", 0.01, 58_990]);
  });
});

Deno.test("an algo whose answer never reached us is found by its list client id (algoClOrdId)", async () => {
  await withSim({}, async (_sim, client) => {
    const executor = new ExchangeExecutor("testnet", client);
    await executor.createProtection!({ takeProfit: legRow("take_profit"), stopLoss: legRow("stop_loss") });
    const unknown = legRow("take_profit", { order_status: "unknown" }); // no exchange_list_id recorded
    assert.equal((await executor.lookup(unknown))?.status, "open");
    assert.equal((await executor.cancel(unknown))?.status, "cancelled");
    assert.equal(await executor.lookup(legRow("stop_loss", { list_client_id: "sbneversent000000000001" })), null);
  });
});
