// A rehearsed order (venue_client.ts's rehearseOrder): unmodified ccxt builds and signs it, and nothing reaches the
// venue, while requests made beside it go out; a real order afterwards is sent as usual. Both venues, over loopback
// HTTP against the simulator.

import assert from "node:assert/strict";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import { createCcxtClient } from "../../supabase/functions/_shared/exchange/ccxt_client.ts";
import { FinalExchangeError } from "../../supabase/functions/_shared/exchange/errors.ts";
import { RateLimiter } from "../../supabase/functions/_shared/exchange/rate_limiter.ts";
import { createVenueClient } from "../../supabase/functions/_shared/exchange/venue_client.ts";
import { type Venue, VENUE_PROFILES } from "../../supabase/functions/_shared/exchange/venues.ts";

const BTC = "BTC/USDT";

async function withVenue(
  venue: Venue,
  body: (
    parts: {
      sim: Awaited<ReturnType<typeof startSimulator>>;
      client: ReturnType<typeof createVenueClient>;
      /** Every request ccxt signed, as sign() returned it (url, method, body, headers). */
      signed: string[];
    },
  ) => Promise<void>,
): Promise<void> {
  const config = defaultSimConfig();
  config[venue].priceStepIntervalMs = 0;
  config[venue].marketList = "short";
  const sim = await startSimulator({ seed: 5, config });
  sim.market.setQuote(venue, BTC, { bid: 60_000, ask: 60_010 });
  const keys = venue === "okx"
    ? { apiKey: sim.okx.apiKey, secret: sim.okx.secret, password: sim.okx.passphrase }
    : { apiKey: sim.binance.apiKey, secret: sim.binance.secret };
  const ex = createCcxtClient(venue, { baseUrl: sim[venue].baseUrl, ...keys });
  const signed: string[] = [];
  const sign = ex.sign.bind(ex);
  ex.sign = (...args: Parameters<typeof ex.sign>) => {
    const request = sign(...args);
    signed.push(JSON.stringify(request));
    return request;
  };
  const limiter = new RateLimiter(VENUE_PROFILES[venue].rateLimits.limits, { nowMs: () => performance.now() });
  const client = createVenueClient(venue, ex, { retry: { attempts: 1 }, limiter });
  try {
    await client.loadMarkets([BTC]);
    await body({ sim, client, signed });
  } finally {
    await ex.close();
    await sim.stop();
  }
}

for (const venue of ["binance", "okx"] as const) {
  Deno.test(`${venue}: a rehearsed order is built and signed, never sent; a request beside it goes out`, async () => {
    await withVenue(venue, async ({ sim, client, signed }) => {
      const before = sim.requestLog.list({ venue }).at(-1)?.id ?? 0;
      const signedBefore = signed.length;
      const ordersLeft = client.affordableNow!("createOrder");
      const [, open] = await Promise.all([
        client.rehearseOrder({ symbol: BTC, side: "buy", type: "limit", amount: 0.001, price: 59_000 }),
        client.fetchOpenOrders(BTC),
      ]);
      assert.deepEqual(open, []);
      const rehearsal = signed.slice(signedBefore).filter((request) => request.includes("rehearsal"));
      assert.equal(rehearsal.length, 1, "ccxt built and signed the rehearsed order once");
      assert.match(rehearsal[0], venue === "okx" ? /OK-ACCESS-SIGN/ : /signature=/);
      const arrived = sim.requestLog.list({ venue, afterId: before }).map((e) => `${e.method} ${e.path}`);
      assert.equal(arrived.length, 1, `only the open-orders read reached the venue: ${arrived.join(", ")}`);
      assert.match(arrived[0], /^GET .*(openOrders|orders-pending)/);
      assert.equal(client.affordableNow!("createOrder"), ordersLeft, "the rehearsal took nothing of our limiter's");

      // The order path still sends for real afterwards, with our own client id.
      const sent = await client.createOrder({
        symbol: BTC,
        side: "buy",
        type: "limit",
        amount: 0.001,
        price: 59_000,
        clientOrderId: "e2eRehearsalThenReal1",
      });
      assert.equal(sent.clientOrderId, "e2eRehearsalThenReal1");
      const resting = await client.fetchOpenOrders(BTC);
      assert.deepEqual(resting.map((o) => o.clientOrderId), ["e2eRehearsalThenReal1"], "one order at the venue");
    });
  });

  Deno.test(`${venue}: an order ccxt refuses before its send fails its rehearsal as it would fail for real`, async () => {
    await withVenue(venue, async ({ sim, client }) => {
      const before = sim.requestLog.list({ venue }).at(-1)?.id ?? 0;
      await assert.rejects(
        client.rehearseOrder({ symbol: "NOPE/USDT", side: "buy", type: "limit", amount: 1, price: 1 }),
        FinalExchangeError,
      );
      assert.deepEqual(sim.requestLog.list({ venue, afterId: before }), []);
    });
  });
}
