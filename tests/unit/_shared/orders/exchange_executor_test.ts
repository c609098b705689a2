import assert from "node:assert/strict";
import type { VenueClient, VenueOrder } from "../../../../supabase/functions/_shared/exchange/venue_client.ts";
import { ExchangeExecutor } from "../../../../supabase/functions/_shared/orders/exchange_executor.ts";
import { CANCEL_REQUESTED } from "../../../../supabase/functions/_shared/orders/executor.ts";
import { FinalExchangeError } from "../../../../supabase/functions/_shared/exchange/errors.ts";
import type { OrderRow } from "../../../../supabase/functions/_shared/orders/types.ts";

function clientFor(venue: "binance" | "okx", open: VenueOrder[] = []): VenueClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    venue,
    calls,
    fetchOpenOrders: (symbol?: string) => {
      calls.push(`fetchOpenOrders ${symbol ?? "all"}`);
      return Promise.resolve(open);
    },
  } as unknown as VenueClient & { calls: string[] };
}

const WORKING: VenueOrder = {
  id: "7",
  clientOrderId: "sbabc",
  symbol: "ETH/USDT",
  side: "buy",
  type: "limit",
  status: "open",
  price: 3000,
  amount: 0.05,
  filled: 0,
  remaining: 0.05,
  average: null,
  cost: 0,
  fee: null,
  timestamp: 1,
  raw: {},
};

Deno.test("prefersOpenList weighs the venue's limits: Binance from 21 working orders on, OKX from 2", () => {
  const binance = new ExchangeExecutor("testnet", clientFor("binance"));
  assert.equal(binance.prefersOpenList(20), false, "80 weight for the list = 20 GET order at 4");
  assert.equal(binance.prefersOpenList(21), true);
  const okx = new ExchangeExecutor("testnet", clientFor("okx"));
  assert.equal(okx.prefersOpenList(1), false);
  assert.equal(okx.prefersOpenList(2), true);
});

Deno.test("listOpen is one request for every symbol, mapped to our view", async () => {
  const order: VenueOrder = { ...WORKING, filled: 0.01, remaining: 0.04, average: 3000, cost: 30 };
  const client = clientFor("binance", [order]);
  const views = await new ExchangeExecutor("testnet", client).listOpen();
  assert.deepEqual(client.calls, ["fetchOpenOrders all"]);
  assert.equal(views.length, 1);
  assert.equal(views[0].exchangeOrderId, "7");
  assert.equal(views[0].clientOrderId, "sbabc");
  assert.equal(views[0].status, "partially_filled");
  assert.equal(views[0].filled, 0.01);
});

const ROW = {
  id: "o1",
  exchange_order_id: "7",
  client_order_id: "sbabc",
  symbol: "ETH/USDT",
  purpose: "entry",
  amount: 0.05,
} as unknown as OrderRow;

/** A venue whose cancel answers `answer` (or throws it) and whose lookup says `looked`. */
function cancelling(answer: Partial<VenueOrder> | Error, looked: Partial<VenueOrder>) {
  const client = clientFor("binance") as VenueClient & { calls: string[] };
  client.cancelOrder = (id: string) => {
    client.calls.push(`cancelOrder ${id}`);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve({ ...WORKING, ...answer });
  };
  client.fetchOrder = (id: string) => {
    client.calls.push(`fetchOrder ${id}`);
    return Promise.resolve({ ...WORKING, ...looked });
  };
  client.fetchMyTrades = () => {
    client.calls.push("fetchMyTrades");
    return Promise.resolve([]);
  };
  return client;
}

Deno.test("cancel: an answer naming the order cancelled with nothing filled is final, without a lookup", async () => {
  // Binance's cancel answer: the order's final state, and the cancel request's own id in clientOrderId.
  const client = cancelling({ status: "canceled", clientOrderId: "cancel-7" }, { status: "canceled" });
  const view = await new ExchangeExecutor("testnet", client).cancel(ROW);
  assert.deepEqual(client.calls, ["cancelOrder 7"]);
  assert.equal(view?.status, "cancelled");
  assert.equal(view?.filled, 0);
  assert.equal(view?.clientOrderId, "sbabc", "the order's own client id");
});

Deno.test("cancel: a fill before the cancel, an answer without a state, or a refusal is looked up", async (t) => {
  const cases: [string, Partial<VenueOrder> | Error, Partial<VenueOrder>][] = [
    ["cancelled after a partial fill (fees to read)", { status: "canceled", filled: 0.01, cost: 30 }, {
      status: "canceled",
      filled: 0.01,
      cost: 30,
      average: 3000,
    }],
    ["OKX: an answer naming no state", { status: null, filled: null }, { status: "canceled" }],
    ["another order's answer", { id: "8", status: "canceled" }, { status: "canceled" }],
    ["already filled: the venue refuses the cancel", new FinalExchangeError("unknown order", {}), {
      status: "closed",
      filled: 0.05,
      cost: 150,
      average: 3000,
    }],
  ];
  for (const [name, answer, looked] of cases) {
    await t.step(name, async () => {
      const client = cancelling(answer, looked);
      const view = await new ExchangeExecutor("testnet", client).cancel(ROW);
      assert.deepEqual(client.calls.slice(0, 2), ["cancelOrder 7", "fetchOrder 7"]);
      assert.equal(view?.filled, looked.filled ?? 0);
    });
  }
});

Deno.test("cancel, with the order stream up: an answer that does not say how the order ended waits for its push", async (t) => {
  const cases: [string, Partial<VenueOrder>][] = [
    ["OKX: an answer naming no state", { status: null, filled: null }],
    ["cancelled after a partial fill (the fills and fees come pushed)", { status: "canceled", filled: 0.01, cost: 30 }],
  ];
  for (const [name, answer] of cases) {
    await t.step(name, async () => {
      const client = cancelling(answer, { status: "canceled" });
      const outcome = await new ExchangeExecutor("testnet", client).cancel(ROW, { outcomeByPush: true });
      assert.equal(outcome, CANCEL_REQUESTED);
      assert.deepEqual(client.calls, ["cancelOrder 7"], "no look-up");
    });
  }
  await t.step("a refused cancel (already filled or gone) is still looked up", async () => {
    const client = cancelling(new FinalExchangeError("unknown order", {}), { status: "closed", filled: 0.05 });
    const view = await new ExchangeExecutor("testnet", client).cancel(ROW, { outcomeByPush: true });
    assert.deepEqual(client.calls.slice(0, 2), ["cancelOrder 7", "fetchOrder 7"]);
    assert.equal(view !== CANCEL_REQUESTED && view?.filled, 0.05);
  });
  await t.step("an answer that says cancelled with nothing filled is still the whole story", async () => {
    const client = cancelling({ status: "canceled" }, { status: "canceled" });
    const view = await new ExchangeExecutor("testnet", client).cancel(ROW, { outcomeByPush: true });
    assert.deepEqual(client.calls, ["cancelOrder 7"]);
    assert.equal(view !== CANCEL_REQUESTED && view?.status, "cancelled");
  });
});
