// Conformance: a venue whose clock differs from ours, seen by unmodified ccxt over loopback HTTP. Binance judges the
// request timestamp against ITS clock and recvWindow (-1021), OKX against 30 s (50102); both serve their shifted time.

import assert from "node:assert/strict";
import { type Exchange, InvalidNonce } from "ccxt";
import { ManualClock } from "../../dev/sim/clock.ts";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import type { VenueId } from "../../dev/sim/types.ts";
import { createCcxtClient } from "../../supabase/functions/_shared/exchange/ccxt_client.ts";

async function withSim(venue: VenueId, body: (sim: Simulator, ex: Exchange) => Promise<void>): Promise<void> {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.okx.priceStepIntervalMs = 0;
  const sim = await startSimulator({ seed: 3, config });
  const keys = venue === "binance"
    ? { apiKey: sim.binance.apiKey, secret: sim.binance.secret }
    : { apiKey: sim.okx.apiKey, secret: sim.okx.secret, password: sim.okx.passphrase };
  const ex = createCcxtClient(venue, { baseUrl: sim[venue].baseUrl, ...keys });
  try {
    await body(sim, ex);
  } finally {
    await ex.close();
    await sim.stop();
  }
}

async function setOffset(sim: Simulator, venue: VenueId, offsetMs: number): Promise<void> {
  const res = await fetch(`${sim.adminUrl}/clock-offset`, {
    method: "POST",
    body: JSON.stringify({ venue, offsetMs }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.deepEqual(JSON.parse(text), { venue, offsetMs });
}

async function rejectsWithCode(promise: Promise<unknown>, code: string, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof InvalidNonce, `expected InvalidNonce, got ${err}`);
    assert.ok(String(err).includes(code) && String(err).includes(message), String(err));
    return true;
  });
}

Deno.test("Binance ahead of us: /api/v3/time is shifted, a signed call outside recvWindow is -1021, a wider recvWindow or ccxt's time adjustment passes", async () => {
  await withSim("binance", async (sim, ex) => {
    await setOffset(sim, "binance", 10_000);
    const before = Date.now();
    const serverTime = await ex.fetchTime();
    const after = Date.now();
    assert.ok(serverTime! >= before + 10_000 && serverTime! <= after + 10_000, `serverTime ${serverTime}`);

    await rejectsWithCode(ex.fetchBalance(), "-1021", "Timestamp for this request is outside of the recvWindow.");

    ex.options["recvWindow"] = 60_000;
    const wide = await ex.fetchBalance();
    assert.equal(wide.USDT.free, 10_000, "recvWindow 60 s (the maximum) covers a 10 s offset");

    ex.options["recvWindow"] = 5_000;
    await rejectsWithCode(ex.fetchBalance(), "-1021", "outside of the recvWindow");
    await ex.loadTimeDifference();
    const adjusted = await ex.fetchBalance();
    assert.equal(adjusted.USDT.free, 10_000, "ccxt's timeDifference from /api/v3/time fixes the timestamps");
  });
});

Deno.test("Binance behind us: a timestamp more than 1 s ahead of its clock is -1021", async () => {
  await withSim("binance", async (sim, ex) => {
    await setOffset(sim, "binance", -30_000);
    await rejectsWithCode(ex.fetchBalance(), "-1021", "ahead of the server's time");
    const clock = await (await fetch(`${sim.adminUrl}/clock`)).json();
    assert.equal(clock.binance.offsetMs, -30_000);
    assert.equal(clock.okx.offsetMs, 0);
    await setOffset(sim, "binance", 0);
    assert.equal((await ex.fetchBalance()).USDT.free, 10_000);
  });
});

Deno.test("OKX: /api/v5/public/time is shifted; more than 30 s off is 50102 'Timestamp request expired', within 30 s passes", async () => {
  await withSim("okx", async (sim, ex) => {
    await setOffset(sim, "okx", 45_000);
    const before = Date.now();
    const serverTime = await ex.fetchTime();
    const after = Date.now();
    assert.ok(serverTime! >= before + 45_000 && serverTime! <= after + 45_000, `serverTime ${serverTime}`);
    await rejectsWithCode(ex.fetchBalance(), "50102", "Timestamp request expired");

    await setOffset(sim, "okx", -45_000);
    await rejectsWithCode(ex.fetchBalance(), "50102", "Timestamp request expired");

    await setOffset(sim, "okx", 5_000);
    assert.equal((await ex.fetchBalance()).USDT.free, 10_000, "5 s is inside OKX's 30 s");
  });
});

Deno.test("a clock offset from the config file applies from the start; changing it runs no price steps", async () => {
  const config = defaultSimConfig();
  config.binance.clockOffsetMs = 7_200_000;
  config.binance.priceStepIntervalMs = 1000;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = await startSimulator({ seed: 3, config, clock });
  try {
    const res = await fetch(`${sim.binance.baseUrl}/api/v3/time`);
    assert.deepEqual(await res.json(), { serverTime: Date.UTC(2026, 0, 1) + 7_200_000 });
    const quote = sim.engines.binance.quote("BTC/USDT");
    sim.market.setClockOffset("binance", 7_300_000); // 100 price intervals later, by the venue's clock
    assert.equal(sim.engines.binance.sync(), 0, "shifting the clock made no step due");
    assert.deepEqual(sim.engines.binance.quote("BTC/USDT"), quote);
    clock.advance(1000);
    assert.equal(sim.engines.binance.sync(), 1, "the schedule moved with the clock");
  } finally {
    await sim.stop();
  }
});
