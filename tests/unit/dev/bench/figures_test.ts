import assert from "node:assert/strict";
import type { BurstRun } from "../../../../dev/bench/burst_bench.ts";
import type { ColdStartRun } from "../../../../dev/bench/cold_start.ts";
import {
  burstFigures,
  coldStartFigures,
  firstOfTick,
  latencyFigures,
  ratiosAgainst,
} from "../../../../dev/bench/figures.ts";
import type { EntryLatency } from "../../../../dev/bench/request_analysis.ts";

function coldRun(listenMs: number, firstAnswerMs: number, warmRequestMs: number, peakRssMb: number): ColdStartRun {
  return {
    listenMs,
    firstAnswerMs,
    firstRequestMs: firstAnswerMs - listenMs,
    warmRequestMs,
    startupCpuMs: listenMs,
    firstRequestCpuMs: 10,
    warmRequestCpuMs: 5,
    peakRssMb,
    status: 200,
  };
}

Deno.test("cold-start figures are medians over runs, ratios against the baseline's medians", () => {
  const fn = coldStartFigures("fn", [
    coldRun(300, 500, 100, 160),
    coldRun(200, 400, 50, 150),
    coldRun(250, 450, 80, 170),
  ])!;
  assert.equal(fn.listenMs, 250);
  assert.equal(fn.firstAnswerMs, 450);
  assert.equal(fn.coldPenaltyMs, 370); // median of 400, 350, 370
  assert.equal(fn.peakRssMb, 160);
  const base = coldStartFigures("base", [coldRun(125, 150, 1, 80)])!;
  assert.deepEqual(ratiosAgainst(fn, base), { listen: 2, firstAnswer: 3, peakRss: 2 });
  assert.deepEqual(ratiosAgainst(fn, null), { listen: null, firstAnswer: null, peakRss: null });
  assert.equal(coldStartFigures("none", []), null);
});

const entry = (venue: "binance" | "okx", tick: number, latencyMs: number): EntryLatency => ({
  venue,
  clientOrderId: `${venue}-${tick}-${latencyMs}`,
  tickerRespondedAt: tick,
  latencyMs,
  insertMs: 2,
  sendMs: latencyMs - 50,
  dbRequestsOnPath: 6,
  venueRequestsOnPath: 1,
});

Deno.test("latency figures: percentiles over all entries, and the first entry of each tick", () => {
  const entries = [entry("binance", 1, 260), entry("binance", 1, 490), entry("okx", 1, 300), entry("binance", 2, 250)];
  assert.deepEqual(firstOfTick(entries).map((e) => e.latencyMs).sort(), [250, 260, 300]);
  const l = latencyFigures(entries)!;
  assert.equal(l.entries, 4);
  assert.equal(l.p50, 260);
  assert.equal(l.p99, 490);
  assert.equal(l.firstOfTickP50, 260);
  assert.equal(l.firstOfTickCount, 3);
  assert.equal(latencyFigures([]), null);
});

function burstRun(cpuMs: number, ticks: Record<string, number>, dbRequests: number): BurstRun {
  return {
    burstMs: 10_000,
    ticks,
    cpuMs,
    mainThreadCpuMs: cpuMs / 2,
    peakRssMb: 170,
    entries: 4,
    ordersSent: 8,
    fills: 4,
    positionsClosed: 4,
    quoteErrors: 0,
    venueCounts: Object.entries(ticks).map(([venue, n]) => ({
      venue: venue as "binance" | "okx",
      ticks: n,
      tickerRequests: n,
      allRequests: 3 * n,
      byEndpoint: { [`${venue} GET`]: n },
    })),
    dbRequests,
    dbByResource: { "GET orders": dbRequests },
    latencies: [entry("binance", cpuMs, 100 + cpuMs)],
    notes: [],
  };
}

Deno.test("burst figures: per venue-tick CPU and requests, medians over runs", () => {
  const config = {
    venues: ["binance", "okx"] as ("binance" | "okx")[],
    symbols: 4,
    tickMs: 200,
    durationMs: 10_000,
    runs: 3,
  };
  const f = burstFigures(config, [
    burstRun(400, { binance: 40, okx: 40 }, 800),
    burstRun(600, { binance: 50, okx: 50 }, 900),
    burstRun(500, { binance: 50, okx: 50 }, 1000),
  ])!;
  assert.equal(f.cpuMs, 500);
  assert.equal(f.cpuMsPerBurstSecond, 50);
  assert.equal(f.cpuMsPerTick, 5); // 400/80, 600/100, 500/100
  assert.equal(f.mainThreadCpuMs, 250);
  assert.equal(f.mainThreadCpuMsPerTick, 2.5);
  assert.equal(f.ticksPerVenue, 50);
  assert.equal(f.tickEveryMs, 200);
  assert.deepEqual(f.tickerPerTick, { binance: 1, okx: 1 });
  assert.deepEqual(f.venueRequestsPerTick, { binance: 3, okx: 3 });
  assert.equal(f.dbPerBurst, 900);
  assert.equal(f.dbPerTick, 10);
  assert.equal(f.latency?.entries, 3);
  assert.deepEqual(f.dbByResource, { "GET orders": 1000 }, "breakdown of the median-CPU run");
  assert.equal(burstFigures(config, []), null);
  assert.equal(f.pushLatency, null, "polled quotes: no push → order");
});

Deno.test("push → order figures: to the arrival over every entry, handed over over the stamped ones", () => {
  const config = { venues: ["binance"] as "binance"[], symbols: 1, tickMs: 1000, durationMs: 10_000, runs: 2 };
  const pushed = (ms: number, handedOverMs?: number, trigger: "top" | "order_update" = "top") => ({
    ms,
    ...(handedOverMs === undefined ? {} : { handedOverMs }),
    trigger,
  });
  const f = burstFigures(config, [
    { ...burstRun(400, { binance: 10 }, 10), pushLatencies: [pushed(4, 3), pushed(9, 2, "order_update")] },
    { ...burstRun(500, { binance: 10 }, 10), pushLatencies: [pushed(6), pushed(5, 4)] },
  ])!;
  assert.equal(f.pushLatency?.entries, 4);
  assert.equal(f.pushLatency?.fromOrderUpdate?.entries, 1);
  assert.equal(f.pushLatency?.handedOver?.entries, 3, "the entry without a stamp is left out");
  assert.equal(f.pushLatency?.handedOver?.p99, 4);
  assert.equal(f.pushLatency?.p99, 9);
});
