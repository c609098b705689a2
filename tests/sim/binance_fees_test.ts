// Conformance: Binance's "use BNB to pay fees" in the simulator, seen by unmodified ccxt `binance` over loopback HTTP.

import assert from "node:assert/strict";
import type { Exchange } from "ccxt";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import { createCcxtClient } from "../../supabase/functions/_shared/exchange/ccxt_client.ts";

const BTC = "BTC/USDT";

async function withSim(body: (sim: Simulator, ex: Exchange) => Promise<void>): Promise<void> {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  const sim = await startSimulator({ seed: 5, config });
  sim.market.setQuote("binance", BTC, { bid: 60_000, ask: 60_010 });
  sim.market.setQuote("binance", "BNB/USDT", { bid: 599.9, ask: 600.1 }); // mid 600
  const ex = createCcxtClient("binance", {
    baseUrl: sim.binance.baseUrl,
    apiKey: sim.binance.apiKey,
    secret: sim.binance.secret,
  });
  try {
    await body(sim, ex);
  } finally {
    await ex.close();
    await sim.stop();
  }
}

async function switchBnbFees(sim: Simulator, enabled: boolean): Promise<void> {
  const res = await fetch(`${sim.adminUrl}/bnb-fees`, { method: "POST", body: JSON.stringify({ enabled }) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.deepEqual(JSON.parse(text), { bnbFees: enabled });
}

/** 60.01 USDT taker notional x 0.1 % x (1 - 25 %) / 600 USDT per BNB, rounded to 8 decimals. */
const BNB_FEE_60_01 = 0.00007501;

Deno.test("BNB fees on: a taker buy charges BNB at the BNB/USDT mid with the 25 % discount, in FULL fills and myTrades", async () => {
  await withSim(async (sim, ex) => {
    await switchBnbFees(sim, true);
    const order = await ex.createOrder(BTC, "market", "buy", 0.001);
    assert.equal(order.status, "closed");
    assert.equal(order.trades.length, 1);
    assert.equal(order.trades[0].fee?.currency, "BNB");
    assert.equal(order.trades[0].fee?.cost, BNB_FEE_60_01);
    const raw = (order.info as { fills: { commissionAsset: string; commission: string }[] }).fills;
    assert.deepEqual(raw.map((f) => [f.commissionAsset, f.commission]), [["BNB", "0.00007501"]]);

    const balance = await ex.fetchBalance();
    assert.equal(balance.BTC.free, 0.101, "the whole amount bought arrives: no fee taken from BTC");
    assert.equal(balance.BNB.free, 5 - BNB_FEE_60_01);

    const trades = await ex.fetchMyTrades(BTC);
    assert.equal(trades.length, 1);
    assert.deepEqual(trades[0].fee, { currency: "BNB", cost: BNB_FEE_60_01 });
  });
});

Deno.test("BNB fees on: a maker sell pays BNB on its notional and receives the full quote", async () => {
  await withSim(async (sim, ex) => {
    await switchBnbFees(sim, true);
    const order = await ex.createOrder(BTC, "limit", "sell", 0.001, 60_100);
    assert.equal(order.status, "open");
    sim.market.setQuote("binance", BTC, { bid: 60_100, ask: 60_110 });
    const trades = await ex.fetchMyTrades(BTC);
    assert.equal(trades.length, 1);
    assert.equal(trades[0].takerOrMaker, "maker");
    // 60.1 USDT x 0.1 % x 0.75 / 600 = 0.000075125 → 0.00007513 (rounded half up at 8 decimals)
    assert.deepEqual(trades[0].fee, { currency: "BNB", cost: 0.00007513 });
    const balance = await ex.fetchBalance();
    assert.equal(balance.USDT.free, 10_000 + 60.1);
  });
});

Deno.test("BNB fees fall back to the received asset when free BNB is short, and when the switch is off", async () => {
  await withSim(async (sim, ex) => {
    await switchBnbFees(sim, true);
    sim.market.setBalance("binance", "BNB", 0.00001);
    const short = await ex.createOrder(BTC, "market", "buy", 0.001);
    assert.deepEqual(short.trades.map((t) => t.fee), [{ currency: "BTC", cost: 0.000001 }]);

    sim.market.setBalance("binance", "BNB", 5);
    await switchBnbFees(sim, false);
    const off = await ex.createOrder(BTC, "market", "sell", 0.001);
    assert.deepEqual(off.trades.map((t) => t.fee?.currency), ["USDT"]);
    const balance = await ex.fetchBalance();
    assert.equal(balance.BNB.free, 5, "no BNB was charged with the switch off");
  });
});

Deno.test("BNB fees from the config file: an account configured with bnbFees pays BNB from the start", async () => {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.binance.accounts = config.binance.accounts.map((a) => ({ ...a, bnbFees: true }));
  config.binance.bnbFeeDiscount = 0;
  const sim = await startSimulator({ seed: 5, config });
  const ex = createCcxtClient("binance", {
    baseUrl: sim.binance.baseUrl,
    apiKey: sim.binance.apiKey,
    secret: sim.binance.secret,
  });
  try {
    sim.market.setQuote("binance", BTC, { bid: 60_000, ask: 60_010 });
    // A BNB price no other test here quotes, so an answer from another simulator cannot pass for this one's.
    sim.market.setQuote("binance", "BNB/USDT", { bid: 499.9, ask: 500.1 });
    const order = await ex.createOrder(BTC, "market", "buy", 0.001);
    const recorded = sim.engines.binance.myTrades(sim.engines.binance.listAccounts()[0].id)
      .map((t) => ({ orderId: t.orderId, fee: t.fee, feeAsset: t.feeAsset }));
    const seen = `order ${order.id} from ${sim.binance.baseUrl}; this simulator recorded ${JSON.stringify(recorded)}`;
    // no discount: 60.01 x 0.001 / 500 = 0.00012002
    assert.deepEqual(order.trades.map((t) => t.fee), [{ currency: "BNB", cost: 0.00012002 }], seen);
    const tickers = await ex.fetchTickers(["BNB/USDT"]);
    assert.equal(tickers["BNB/USDT"]?.bid, 499.9, "BNB/USDT is quotable");
  } finally {
    await ex.close();
    await sim.stop();
  }
});
