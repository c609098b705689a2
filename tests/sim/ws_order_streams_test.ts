// Conformance of the simulator's private order streams: unmodified ccxt.pro watchOrders (Binance's WebSocket API
// user-data subscription, OKX login + `orders`) and raw sockets for what ccxt does not show (refusals, the cancel's
// client ids, faults), all over real loopback, pushes driven by the matching engine.

import assert from "node:assert/strict";
import type { Exchange } from "ccxt";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import { proClient, simWsOrigin } from "../support/ccxt_pro.ts";
import { binanceSignature, okxLoginSignature } from "../../supabase/functions/_shared/order_stream/signing.ts";
import { waitFor as waitUntil } from "../support/wait_for.ts";

/** Waits on `done` every 20 ms, at most 200 times. */
const waitFor = (what: string, done: () => boolean | Promise<boolean>, limit = 200) => waitUntil(what, done, limit, 20);

async function setup(): Promise<Simulator> {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.okx.priceStepIntervalMs = 0;
  const sim = await startSimulator({ seed: 9, config });
  for (const venue of ["binance", "okx"] as const) {
    sim.market.setQuote(venue, "ETH/USDT", { bid: 3_000, ask: 3_001 });
    sim.market.setBalance(venue, "USDT", 10_000);
  }
  return sim;
}

/** ccxt.pro with the venue's keys, its REST and WebSocket API at the simulator. */
function privateClient(venue: "binance" | "okx", sim: Simulator): Exchange {
  const ex = proClient(venue, sim);
  if (venue === "binance") {
    ex.apiKey = sim.binance.apiKey;
    ex.secret = sim.binance.secret;
    const ws = ex.urls["api"].ws as Record<string, unknown>;
    ws["ws-api"] = { spot: `${simWsOrigin(sim)}/binance/ws-api/v3` };
  } else {
    ex.apiKey = sim.okx.apiKey;
    ex.secret = sim.okx.secret;
    ex.password = sim.okx.passphrase;
  }
  return ex;
}

const account = (sim: Simulator, venue: "binance" | "okx") => sim.engines[venue].listAccounts()[0].id;

interface CachedOrder {
  id: string;
  clientOrderId: string;
  status: string;
  filled: number;
  average: number;
}

/**
 * Waits until ccxt's own order cache holds `id` in a state `done` accepts (bounded). The cache, not a watch's
 * answer: a push that lands before a watch is registered resolves nothing but is still in the cache.
 */
async function cachedOrder(ex: Exchange, id: string, done: (o: CachedOrder) => boolean): Promise<CachedOrder> {
  const find = () => ([...(ex.orders ?? [])] as CachedOrder[]).filter((o) => o.id === id).at(-1);
  await waitFor(`order ${id} in ccxt's cache`, () => {
    const o = find();
    return o !== undefined && done(o);
  });
  return find()!;
}

for (const venue of ["binance", "okx"] as const) {
  Deno.test(`ccxt.pro ${venue} watchOrders: the accepted order, then its fill, pushed by the engine`, async () => {
    const sim = await setup();
    const ex = privateClient(venue, sim);
    try {
      await ex.loadMarkets();
      // Subscribes (Binance: userDataStream.subscribe.signature; OKX: login, then orders); its answer is not needed.
      ex.watchOrders("ETH/USDT").catch(() => {});
      await waitFor("the subscription", () => sim.orderStreams.subscribed(venue) >= 1);
      const placed = sim.engines[venue].placeOrder(account(sim, venue), {
        symbol: "ETH/USDT",
        side: "buy",
        type: "limit",
        amount: 0.1,
        price: 2_990,
        clientOrderId: "conf1",
      });
      const accepted = await cachedOrder(ex, placed.orderId, (o) => o.status === "open");
      assert.deepEqual([accepted.clientOrderId, accepted.filled], ["conf1", 0]);
      sim.market.setQuote(venue, "ETH/USDT", { bid: 2_989, ask: 2_990 });
      const filled = await cachedOrder(ex, placed.orderId, (o) => o.status === "closed");
      assert.deepEqual([filled.filled, filled.average], [0.1, 2_990]);
      assert.ok(sim.orderStreams.stats.pushes >= 2);
    } finally {
      await ex.close();
      await sim.stop();
    }
  });
}

/** A raw socket for what ccxt does not show. */
async function rawSocket(url: string): Promise<{ ws: WebSocket; next: () => Promise<string> }> {
  const ws = new WebSocket(url);
  const queue: string[] = [];
  const waiting: ((s: string) => void)[] = [];
  ws.onmessage = (e) => {
    const w = waiting.shift();
    if (w) w(String(e.data));
    else queue.push(String(e.data));
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return {
    ws,
    next: () => {
      const q = queue.shift();
      return q !== undefined ? Promise.resolve(q) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

async function closed(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  await new Promise((resolve) => ws.addEventListener("close", resolve));
}

async function binanceSubscribe(sim: Simulator, secret = sim.binance.secret, timestamp = Date.now()) {
  const params = { apiKey: sim.binance.apiKey, timestamp };
  return JSON.stringify({
    id: "s1",
    method: "userDataStream.subscribe.signature",
    params: { ...params, signature: await binanceSignature(secret, params) },
  });
}

Deno.test("binance ws-api: refusals named by code; a subscription gets executionReports; a cancel names both ids", async () => {
  const sim = await setup();
  const { ws, next } = await rawSocket(`${simWsOrigin(sim)}/binance/ws-api/v3`);
  try {
    ws.send(await binanceSubscribe(sim, "wrong-secret"));
    const badSig = JSON.parse(await next());
    assert.deepEqual([badSig.id, badSig.status, badSig.error.code], ["s1", 400, -1022]);
    ws.send(await binanceSubscribe(sim, sim.binance.secret, Date.now() - 60_000));
    assert.equal(JSON.parse(await next()).error.code, -1021);
    ws.send(JSON.stringify({ id: 7, method: "session.logon", params: {} }));
    assert.equal(JSON.parse(await next()).error.code, -1020, "session.logon needs Ed25519 keys");
    ws.send(JSON.stringify({ id: "p", method: "ping" }));
    assert.deepEqual(JSON.parse(await next()).result, {});

    ws.send(await binanceSubscribe(sim));
    const ok = JSON.parse(await next());
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.result.subscriptionId, "number");
    const order = sim.engines.binance.placeOrder(account(sim, "binance"), {
      symbol: "ETH/USDT",
      side: "buy",
      type: "limit",
      amount: 0.2,
      price: 2_990,
      clientOrderId: "raw1",
    });
    const accepted = JSON.parse(await next());
    assert.equal(accepted.subscriptionId, ok.result.subscriptionId);
    assert.deepEqual(
      [accepted.event.e, accepted.event.x, accepted.event.X, accepted.event.c, accepted.event.i],
      ["executionReport", "NEW", "NEW", "raw1", Number(order.orderId)],
    );
    sim.engines.binance.cancelOrder(account(sim, "binance"), { orderId: order.orderId });
    const cancelled = JSON.parse(await next()).event;
    assert.deepEqual([cancelled.x, cancelled.X, cancelled.C], ["CANCELED", "CANCELED", "raw1"]);
    assert.notEqual(cancelled.c, "raw1", "c is the cancel request's own id");
  } finally {
    ws.close();
    await closed(ws);
    await sim.stop();
  }
});

Deno.test("binance ws-api: a partial fill then the rest, each a TRADE with its own fill and fee", async () => {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  const eth = config.binance.markets.find((m) => m.symbol === "ETH/USDT")!;
  eth.topOfBookQty = 0.1;
  const sim = await startSimulator({ seed: 9, config });
  sim.market.setQuote("binance", "ETH/USDT", { bid: 3_000, ask: 3_001 });
  sim.market.setBalance("binance", "USDT", 10_000);
  const { ws, next } = await rawSocket(`${simWsOrigin(sim)}/binance/ws-api/v3`);
  try {
    ws.send(await binanceSubscribe(sim));
    assert.equal(JSON.parse(await next()).status, 200);
    sim.engines.binance.placeOrder(account(sim, "binance"), {
      symbol: "ETH/USDT",
      side: "buy",
      type: "limit",
      amount: 0.15,
      price: 2_990,
    });
    await next(); // NEW
    sim.market.setQuote("binance", "ETH/USDT", { bid: 2_989, ask: 2_990 });
    const part = JSON.parse(await next()).event;
    assert.deepEqual([part.x, part.X, Number(part.l), Number(part.z)], ["TRADE", "PARTIALLY_FILLED", 0.1, 0.1]);
    assert.ok(Number(part.n) > 0 && part.N === "ETH", "the fill's own fee");
    sim.market.setQuote("binance", "ETH/USDT", { bid: 2_989, ask: 2_990 });
    const rest = JSON.parse(await next()).event;
    assert.deepEqual([rest.X, Number(rest.l), Number(rest.z)], ["FILLED", 0.05, 0.15]);
    assert.ok(rest.t > part.t);
  } finally {
    ws.close();
    await closed(ws);
    await sim.stop();
  }
});

Deno.test("okx private: login refusals by code, subscribe needs login, then order pushes with the fill", async () => {
  const sim = await setup();
  const { ws, next } = await rawSocket(`${simWsOrigin(sim)}/okx/ws/v5/private`);
  const login = async (secret: string, passphrase = sim.okx.passphrase, seconds = Math.floor(Date.now() / 1000)) =>
    JSON.stringify({
      op: "login",
      args: [{
        apiKey: sim.okx.apiKey,
        passphrase,
        timestamp: String(seconds),
        sign: await okxLoginSignature(secret, String(seconds)),
      }],
    });
  try {
    ws.send(JSON.stringify({ op: "subscribe", args: [{ channel: "orders", instType: "SPOT" }] }));
    assert.equal(JSON.parse(await next()).code, "60011");
    ws.send(await login("wrong"));
    assert.equal(JSON.parse(await next()).code, "60007");
    ws.send(await login(sim.okx.secret, "wrong-passphrase"));
    assert.equal(JSON.parse(await next()).code, "60024");
    ws.send(await login(sim.okx.secret, sim.okx.passphrase, Math.floor(Date.now() / 1000) - 120));
    assert.equal(JSON.parse(await next()).code, "60006");
    ws.send(await login(sim.okx.secret));
    assert.deepEqual(
      (({ event, code }) => ({ event, code }))(JSON.parse(await next())),
      { event: "login", code: "0" },
    );
    ws.send(JSON.stringify({ op: "subscribe", args: [{ channel: "orders", instType: "SPOT" }] }));
    const ack = JSON.parse(await next());
    assert.deepEqual([ack.event, ack.arg.channel, ack.arg.instType], ["subscribe", "orders", "SPOT"]);
    ws.send("ping");
    assert.equal(await next(), "pong");
    const order = sim.engines.okx.placeOrder(account(sim, "okx"), {
      symbol: "ETH/USDT",
      side: "buy",
      type: "limit",
      amount: 0.1,
      price: 2_990,
      clientOrderId: "okx1",
    });
    const live = JSON.parse(await next());
    assert.equal(live.arg.channel, "orders");
    assert.deepEqual([live.data[0].ordId, live.data[0].clOrdId, live.data[0].state], [order.orderId, "okx1", "live"]);
    sim.market.setQuote("okx", "ETH/USDT", { bid: 2_989, ask: 2_990 });
    const filled = JSON.parse(await next()).data[0];
    assert.deepEqual([filled.state, filled.accFillSz, filled.fillSz, filled.avgPx], ["filled", "0.1", "0.1", "2990"]);
    assert.ok(Number(filled.fee) < 0 && filled.feeCcy === "ETH", "fee paid, negative as OKX prints it");
  } finally {
    ws.close();
    await closed(ws);
    await sim.stop();
  }
});

Deno.test("order stream faults: duplicate sends every push twice, stall sends nothing, drop closes, refuse says 503", async () => {
  const sim = await setup();
  const url = `${simWsOrigin(sim)}/binance/ws-api/v3`;
  const { ws, next } = await rawSocket(url);
  const place = (id: string) =>
    sim.engines.binance.placeOrder(account(sim, "binance"), {
      symbol: "ETH/USDT",
      side: "buy",
      type: "limit",
      amount: 0.1,
      price: 2_900,
      clientOrderId: id,
    });
  try {
    ws.send(await binanceSubscribe(sim));
    assert.equal(JSON.parse(await next()).status, 200);
    sim.orderStreams.faults.duplicate("binance");
    place("d1");
    const [a, b] = [await next(), await next()];
    assert.equal(a, b);
    assert.equal(JSON.parse(a).event.c, "d1");
    sim.orderStreams.faults.duplicate("binance", false);
    sim.orderStreams.faults.stall("binance", 60_000);
    place("lost");
    ws.send(JSON.stringify({ id: "p", method: "ping" }));
    sim.orderStreams.faults.resume("binance");
    place("after");
    assert.equal(JSON.parse(await next()).event.c, "after", "the stalled push and ping answer never came");
    assert.ok(sim.orderStreams.faults.applied.stalledPushes >= 1);
    sim.orderStreams.faults.refuse("binance");
    sim.orderStreams.faults.drop("binance");
    await closed(ws);
    const refused = await fetch(url.replace(/^ws/, "http"), { headers: { upgrade: "websocket" } });
    await refused.body?.cancel();
    assert.equal(refused.status, 503);
    assert.equal(sim.streams.stats.refused, 0, "the book-top streams have faults of their own");
  } finally {
    ws.close();
    await closed(ws);
    await sim.stop();
  }
});
