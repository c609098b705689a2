// Our own order-stream client (supabase/functions/_shared/order_stream/) against the simulator over real loopback:
// it signs in with the venue keys, queues the engine's order updates, raises a reconcile for every subscription that
// goes live, replaces a dropped or stalled socket (bounded), and stays down without retrying when its keys are refused.

import assert from "node:assert/strict";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import { orderStreamFactory } from "../../supabase/functions/_shared/order_stream/stream_factory.ts";
import { OrderStream } from "../../supabase/functions/_shared/order_stream/order_stream.ts";
import { ORDER_STREAM_PROTOCOLS } from "../../supabase/functions/_shared/order_stream/protocols.ts";
import type { Venue } from "../../supabase/functions/_shared/exchange/venues.ts";
import { waitFor as waitUntil } from "../support/wait_for.ts";

/** Waits on `done` every 20 ms, at most 250 times. */
const waitFor = (what: string, done: () => boolean | Promise<boolean>, limit = 250) => waitUntil(what, done, limit, 20);

async function setup(): Promise<Simulator> {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.okx.priceStepIntervalMs = 0;
  const sim = await startSimulator({ seed: 3, config });
  for (const venue of ["binance", "okx"] as const) {
    sim.market.setQuote(venue, "ETH/USDT", { bid: 3_000, ask: 3_001 });
    sim.market.setBalance(venue, "USDT", 10_000);
  }
  return sim;
}

function envOf(sim: Simulator) {
  return {
    baseUrls: { binance: sim.binance.baseUrl, okx: sim.okx.baseUrl },
    credentials: {
      binance: { apiKey: sim.binance.apiKey, secret: sim.binance.secret },
      okx: { apiKey: sim.okx.apiKey, secret: sim.okx.secret, password: sim.okx.passphrase },
    },
  };
}

const place = (sim: Simulator, venue: Venue, clientOrderId: string, price = 2_990) =>
  sim.engines[venue].placeOrder(sim.engines[venue].listAccounts()[0].id, {
    symbol: "ETH/USDT",
    side: "buy",
    type: "limit",
    amount: 0.1,
    price,
    clientOrderId,
  });

Deno.test("no order stream in paper mode or without keys", () => {
  const factory = orderStreamFactory({ baseUrls: {}, credentials: { binance: { apiKey: "k", secret: "s" } } });
  assert.equal(factory("binance", "paper"), undefined);
  assert.equal(factory("okx", "testnet"), undefined);
  assert.ok(factory("binance", "testnet") instanceof OrderStream);
});

for (const venue of ["binance", "okx"] as const) {
  Deno.test(`${venue}: signs in, goes up with a reconcile due, queues the accepted order and its fill`, async () => {
    const sim = await setup();
    const stream = orderStreamFactory(envOf(sim))(venue, "testnet")!;
    try {
      stream.start();
      await waitFor("up", () => stream.up);
      assert.equal(stream.takeReconcile(), true, "the first subscription asks for a reconcile");
      assert.equal(stream.takeReconcile(), false, "once");
      const woke = stream.nextEvent(5_000);
      const order = place(sim, venue, `c-${venue}`);
      assert.equal(await woke, true, "a waiter is woken by the update");
      sim.market.setQuote(venue, "ETH/USDT", { bid: 2_989, ask: 2_990 });
      await waitFor("two updates", () => stream.stats.order_events >= 2);
      const [accepted, filled] = stream.drain().map((u) => {
        assert.equal(u.kind, "order");
        return (u as Extract<typeof u, { kind: "order" }>).push;
      });
      assert.deepEqual(
        [accepted.exchangeOrderId, accepted.clientOrderId, accepted.status, accepted.filled],
        [order.orderId, `c-${venue}`, "open", 0],
      );
      assert.deepEqual([filled.status, filled.filled, filled.lastFilled, filled.cost], ["filled", 0.1, 0.1, 299]);
      assert.equal(filled.fee?.currency, "ETH");
      assert.ok((filled.fee?.cost ?? 0) > 0);
      assert.equal(filled.fee?.scope, venue === "binance" ? "last" : "total");
      assert.deepEqual(stream.drain(), [], "drained once");
      // The simulator's log of what it pushed (the bench times entries that follow an update from it).
      assert.deepEqual(
        sim.orderStreams.pushesSince(0).map((p) => [p.venue, p.symbol]),
        [[venue, "ETH/USDT"], [venue, "ETH/USDT"]],
      );
    } finally {
      await stream.close();
      await sim.stop();
    }
  });
}

Deno.test("okx: the orders-algo channel reports a protection algo placed, then fired after the order it created", async () => {
  const sim = await setup();
  const engine = sim.engines.okx;
  const account = engine.listAccounts()[0].id;
  sim.market.setBalance("okx", "ETH", 1);
  const stream = orderStreamFactory(envOf(sim))("okx", "testnet")!;
  try {
    stream.start();
    await waitFor("up", () => stream.up);
    const algo = engine.placeAlgo(account, {
      symbol: "ETH/USDT",
      side: "sell",
      amount: 0.1,
      tpTrigger: 3_010,
      tpPrice: 3_010,
      slTrigger: 2_950,
      slPrice: 2_940,
      clientAlgoId: "prot1",
    });
    await waitFor("the live algo", () => stream.stats.order_events >= 1);
    sim.market.setQuote("okx", "ETH/USDT", { bid: 3_012, ask: 3_013 });
    // The live algo, the created order accepted and filled, the fired algo.
    await waitFor("the fired algo", () => stream.stats.order_events >= 4);
    const updates = stream.drain();
    const algos = updates.filter((u) => u.kind === "algo").map((u) => u.algo);
    assert.deepEqual(
      algos.map((a) => [a.algoId, a.listClientId, a.state, a.triggeredLeg]),
      [[algo.algoId, "prot1", "live", null], [algo.algoId, "prot1", "triggered", "take_profit"]],
    );
    const child = engine.algo(account, { algoId: algo.algoId }).orderId;
    assert.equal(algos[1].orderId, child, "the fired algo names the order it created");
    const kinds = updates.map((u) => u.kind === "algo" ? `algo ${u.algo.state}` : `order ${u.push.status}`);
    const firedAt = kinds.indexOf("algo triggered");
    assert.ok(
      updates.slice(0, firedAt).some((u) => u.kind === "order" && u.push.exchangeOrderId === child),
      `the created order's update comes first: ${kinds.join(", ")}`,
    );
  } finally {
    await stream.close();
    await sim.stop();
  }
});

Deno.test("a dropped stream is replaced and its new subscription asks for a reconcile", async () => {
  const sim = await setup();
  const stream = orderStreamFactory(envOf(sim))("binance", "testnet")!;
  try {
    stream.start();
    await waitFor("up", () => stream.up);
    stream.takeReconcile();
    sim.orderStreams.faults.drop("binance");
    await waitFor("down", () => !stream.up);
    await waitFor("up again", () => stream.up);
    assert.equal(stream.takeReconcile(), true);
    assert.deepEqual([stream.stats.drops, stream.stats.reconnects, stream.stats.subscriptions], [1, 1, 2]);
  } finally {
    await stream.close();
    await sim.stop();
  }
});

Deno.test("a quiet live stream stays up on probes; a stalled one is replaced", async () => {
  const sim = await setup();
  const protocol = ORDER_STREAM_PROTOCOLS.okx;
  const stream = new OrderStream({
    url: protocol.url({ baseUrl: sim.okx.baseUrl, sandbox: false }),
    protocol,
    credentials: envOf(sim).credentials.okx,
    stallMs: 300,
  });
  try {
    stream.start();
    await waitFor("up", () => stream.up);
    // Nothing trades for well over the stall time: the probes ("ping" → "pong") keep it up.
    const messages = stream.stats.messages;
    await waitFor("probes answered", () => stream.stats.messages >= messages + 3);
    assert.equal(stream.stats.stalls, 0);
    sim.orderStreams.faults.stall("okx", 60_000);
    await waitFor("a stall", () => stream.stats.stalls >= 1);
    assert.equal(stream.up, false);
    sim.orderStreams.faults.resume("okx");
    await waitFor("up again", () => stream.up);
    assert.ok(stream.stats.reconnects >= 1);
  } finally {
    await stream.close();
    await sim.stop();
  }
});

Deno.test("garbage replaces the socket; refused keys are not retried (the burst polls)", async () => {
  const sim = await setup();
  const env = envOf(sim);
  const good = orderStreamFactory(env)("binance", "testnet")!;
  const bad = orderStreamFactory({
    ...env,
    credentials: { ...env.credentials, okx: { ...env.credentials.okx, secret: "wrong" } },
  })("okx", "testnet")!;
  try {
    good.start();
    bad.start();
    await waitFor("up", () => good.up);
    sim.orderStreams.faults.garbage("binance");
    place(sim, "binance", "g1");
    await waitFor("garbage seen", () => good.stats.garbage === 1);
    await waitFor("up again", () => good.up);
    await waitFor("refused", () => bad.stats.refused === 1);
    assert.equal(bad.up, false);
    assert.equal(bad.stats.reconnects, 0, "a refusal is not retried");
    assert.match(bad.stats.last_fault ?? "", /60007/);
  } finally {
    await good.close();
    await bad.close();
    await sim.stop();
  }
});
