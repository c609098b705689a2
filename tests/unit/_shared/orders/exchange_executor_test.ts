import assert from "node:assert/strict";
import type { VenueClient, VenueOrder } from "../../../../supabase/functions/_shared/exchange/venue_client.ts";
import { ExchangeExecutor } from "../../../../supabase/functions/_shared/orders/exchange_executor.ts";

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

Deno.test("prefersOpenList weighs the venue's limits: Binance from 21 working orders on, OKX from 2", () => {
  const binance = new ExchangeExecutor("testnet", clientFor("binance"));
  assert.equal(binance.prefersOpenList(20), false, "80 weight for the list = 20 GET order at 4");
  assert.equal(binance.prefersOpenList(21), true);
  const okx = new ExchangeExecutor("testnet", clientFor("okx"));
  assert.equal(okx.prefersOpenList(1), false);
  assert.equal(okx.prefersOpenList(2), true);
});

Deno.test("listOpen is one request for every symbol, mapped to our view", async () => {
  const order: VenueOrder = {
    id: "7",
    clientOrderId: "sbabc",
    symbol: "ETH/USDT",
    side: "buy",
    type: "limit",
    status: "open",
    price: 3000,
    amount: 0.05,
    filled: 0.01,
    remaining: 0.04,
    average: 3000,
    cost: 30,
    fee: null,
    timestamp: 1,
    raw: {},
  };
  const client = clientFor("binance", [order]);
  const views = await new ExchangeExecutor("testnet", client).listOpen();
  assert.deepEqual(client.calls, ["fetchOpenOrders all"]);
  assert.equal(views.length, 1);
  assert.equal(views[0].exchangeOrderId, "7");
  assert.equal(views[0].clientOrderId, "sbabc");
  assert.equal(views[0].status, "partially_filled");
  assert.equal(views[0].filled, 0.01);
});
