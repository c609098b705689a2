import assert from "node:assert/strict";
import type { BurstRun } from "../../../../dev/bench/burst_bench.ts";
import { fmt, fmtRatio, renderReport } from "../../../../dev/bench/report.ts";
import { benchOptions, type BenchResults } from "../../../../dev/bench/run_all.ts";

Deno.test("numbers keep three significant figures at most, missing ones read n/a", () => {
  assert.equal(fmt(1234.56), "1235");
  assert.equal(fmt(12.345, " ms"), "12.3 ms");
  assert.equal(fmt(1.2345), "1.23");
  assert.equal(fmt(null), "n/a");
  assert.equal(fmt(Number.NaN), "n/a");
  assert.equal(fmtRatio(1.376), "1.38×");
  assert.equal(fmtRatio(null), "n/a");
});

function run(tickerRequests: number): BurstRun {
  return {
    burstMs: 10_000,
    ticks: { binance: 10 },
    cpuMs: 100,
    mainThreadCpuMs: 50,
    peakRssMb: 150,
    entries: 0,
    ordersSent: 0,
    fills: 0,
    positionsClosed: 0,
    quoteErrors: 0,
    venueCounts: [{ venue: "binance", ticks: 10, tickerRequests, allRequests: tickerRequests, byEndpoint: {} }],
    dbRequests: 20,
    dbByResource: { "GET bot_settings": 20 },
    latencies: [],
    notes: [],
  };
}

function results(tickerRequests: number): BenchResults {
  const options = benchOptions(true);
  return {
    machine: {
      cpuModel: "Test CPU",
      cores: 2,
      memoryGb: 8,
      os: "TestOS",
      deno: "2.9.6",
      v8: "15",
      date: "2026-01-01T00:00:00.000Z",
    },
    options,
    startedAt: "2026-01-01T00:00:00.000Z",
    totalSeconds: 42,
    coldStarts: [],
    anatomy: [],
    bursts: [{
      kind: "scale",
      config: { venues: ["binance"], symbols: 4, tickMs: options.tickMs, durationMs: 10_000, runs: 1 },
      runs: [run(tickerRequests)],
    }],
  };
}

Deno.test("the report names the machine and says it is a quick run", () => {
  const text = renderReport(results(10));
  assert.match(text, /\| CPU \| Test CPU \|/);
  assert.match(text, /\| cores \| 2 \|/);
  assert.match(text, /--quick/);
});

Deno.test("a venue asked more than once per tick for market data gets a miss line", () => {
  assert.doesNotMatch(renderReport(results(10)), /Market data requests per tick/);
  assert.match(
    renderReport(results(40)),
    /Market data requests per tick\*\* on binance \(4 symbols\): 4\.00 instead of 1/,
  );
});

Deno.test("a run without entries says the latency figure is missing and why", () => {
  assert.match(renderReport(results(10)), /no entry was paired with its order request/);
});

function cold(listenMs: number, peakRssMb: number) {
  return {
    listenMs,
    firstAnswerMs: listenMs + 10,
    firstRequestMs: 10,
    warmRequestMs: 5,
    startupCpuMs: listenMs,
    firstRequestCpuMs: 5,
    warmRequestCpuMs: 5,
    peakRssMb,
    status: 200,
  };
}

function withColdStarts(baselineMs: number, burstMs: number, burstRssMb: number): BenchResults {
  const base = results(10);
  base.coldStarts = [
    { name: "baseline: naive `import ccxt`", baseline: true, request: "GET", runs: [cold(baselineMs, 120)] },
    { name: "trade-burst", baseline: false, request: "burst", runs: [cold(burstMs, burstRssMb)] },
  ];
  return base;
}

Deno.test("cold start and memory misses follow issue 13's targets (≤ 0.4× the baseline, ≤ 90 MB)", () => {
  const fine = renderReport(withColdStarts(300, 120, 85));
  assert.doesNotMatch(fine, /\*\*Cold start of trade-burst\*\*/);
  assert.doesNotMatch(fine, /\*\*Memory of trade-burst\*\*/);
  const slow = renderReport(withColdStarts(300, 150, 95));
  assert.match(slow, /\*\*Cold start of trade-burst\*\*: listens after 150 ms, 0\.50× the naive baseline/);
  assert.match(slow, /\*\*Memory of trade-burst\*\*: peak RSS 95\.0 MB after a 1 s burst/);
});

Deno.test("the deploy-artifact section lists each bundle and misses one over 2 MB or with imports left", () => {
  const base = results(10);
  base.artifacts = {
    functions: [
      { name: "small", path: "a", bytes: 1_100_000, eszipBytes: 1_100_500, importsLeft: [], sourceGraphBytes: 73e6 },
      { name: "big", path: "b", bytes: 2_500_000, eszipBytes: null, importsLeft: ["npm:zod"], sourceGraphBytes: null },
    ],
  };
  const text = renderReport(base);
  assert.match(text, /\| small \| 1\.10 \| 1\.10 \| none \| 69\.6 \| 1\.5 % \| yes \|/);
  assert.match(text, /\| big \| 2\.50 \| n\/a \| npm:zod \| n\/a \| n\/a \| no \|/);
  assert.match(text, /\*\*Deploy artifact of big\*\*: 2\.50 MB, over the 2 MB target/);
  assert.match(text, /\*\*Deploy artifact of big\*\* still imports npm:zod/);
  assert.doesNotMatch(text, /Deploy artifact of small/);
});

Deno.test("the issue 13 targets table is computed from the run, with the issue's figures beside it", () => {
  const text = renderReport(withColdStarts(300, 120, 85));
  const row = (label: RegExp) => text.split("\n").find((line) => label.test(line)) ?? "";
  assert.match(text, /## Issue 13 targets/);
  assert.match(row(/^\| cold start, trade-burst listens/), /\| 1\.09–1\.30× \| 0\.40× \| ≤ 0\.40× \| yes \|$/);
  assert.match(row(/^\| peak RSS, trade-burst/), /\| 164 MB \| 85\.0 MB \| ≤ 90 MB \| yes \|$/);
  // No two-venue run in these results: figures that need one read n/a rather than a made-up value.
  assert.match(row(/^\| market data → order/), /\| n\/a \/ n\/a ms \| ≤ 15 \/ 40 ms \| n\/a \|$/);
  assert.match(renderReport(withColdStarts(300, 150, 95)), /\| 0\.50× \| ≤ 0\.40× \| no \|/);
});

Deno.test("with the code cache pass measured, the target row quotes both ratios and a miss in either counts", () => {
  const withCached = (baselineMs: number, burstMs: number) => {
    const base = withColdStarts(300, 90, 85);
    base.coldStartsCodeCached = [
      { name: "baseline: naive `import ccxt`", runs: [{ listenMs: baselineMs, startupCpuMs: baselineMs - 10 }] },
      { name: "trade-burst", runs: [{ listenMs: burstMs, startupCpuMs: burstMs - 10 }] },
    ];
    return renderReport(base);
  };
  const row = (text: string) => text.split("\n").find((line) => /^\| cold start, trade-burst listens/.test(line));
  const fine = withCached(200, 70);
  assert.match(row(fine) ?? "", /\| 0\.30×; 0\.35× \| ≤ 0\.40× \| yes \|$/);
  assert.match(fine, /### With Deno's code cache filled/);
  assert.match(fine, /\| trade-burst \| 70\.0 \| 60\.0 \| 0\.35× \|/);
  assert.doesNotMatch(fine, /\*\*Cold start of trade-burst\*\*/);

  const failedBase = withColdStarts(300, 90, 85);
  failedBase.coldStartsCodeCached = [
    { name: "trade-burst", runs: [], error: "filling failed: \x1b[31merror\x1b[0m: Module not found\n  at a | b" },
  ];
  const failed = renderReport(failedBase).split("\n").filter((line) => line.startsWith("| trade-burst | failed"));
  assert.deepEqual(failed, ["| trade-burst | failed: filling failed: error: Module not found at a \\| b |  |  |"]);

  const slow = withCached(200, 90);
  assert.match(row(slow) ?? "", /\| 0\.30×; 0\.45× \| ≤ 0\.40× \| no \|$/);
  assert.match(
    slow,
    /\*\*Cold start of trade-burst\*\*: listens after 90\.0 ms, 0\.30× the naive baseline \(0\.45× with/,
  );
});

Deno.test("the scheduled burst measured on cold processes is the target row's figure, and over 800 ms it is a miss", () => {
  const withColdBursts = (tradingCpu: number[], idleBurstCpu = 500) => {
    const base = withColdStarts(300, 120, 85);
    const config = { venues: ["binance" as const, "okx" as const], symbols: 4, tickMs: 1000, durationMs: 45_000 };
    const cold = (startup: number, burstCpu: number, closed: number) => ({
      startupMainThreadCpuMs: startup,
      // 7 PostgREST requests per round trip beside the 20 of a burst that trades nothing.
      burst: {
        ...run(10),
        burstMs: 45_000,
        mainThreadCpuMs: burstCpu,
        positionsClosed: closed,
        dbRequests: 20 + 7 * closed,
      },
    });
    base.coldBursts = [
      {
        config: { ...config, runs: 3, shipped: true },
        runs: tradingCpu.map((cpu, i) => cold(100 + i, cpu, 30)),
      },
      { config: { ...config, runs: 1, shipped: true, idle: true }, runs: [cold(100, idleBurstCpu, 0)] },
    ];
    return renderReport(base);
  };
  const row = (text: string) =>
    text.split("\n").find((line) => /^\| main-thread CPU of the scheduled/.test(line)) ?? "";
  // The median of each run's start-up + burst (1000 + 101), not the sum of the two medians.
  const slow = withColdBursts([1200, 1000, 700]);
  assert.match(row(slow), /measured on a cold process .*start-up 101 \+ burst 1000 ms, 30\.0 round trips/);
  assert.match(row(slow), /\| 1101 ms \| ≤ 800 ms \| no \|$/);
  assert.match(slow, /\*\*Scheduled burst CPU\*\* \(cold process\): 1101 ms of main-thread CPU against 800 ms/);
  // A round trip adds (1101 − 600) / 30 = 16.7 ms; (800 − 600) / 16.7 = 12.0 fit inside 40 % of the budget.
  assert.match(slow, /600 ms with no trade allowed, so 12\.0 round trips fit inside 800 ms/);
  // (230 − 20) / 30 requests: what trading adds over the burst with no trade allowed, per round trip.
  assert.match(slow, /about 7\.00 PostgREST requests and the fills' arithmetic/);

  // Trading stopped at 850 ms: the fixed cost alone fills the margin, and the text says so instead of "0.00 fit".
  const fixedFull = withColdBursts([1200, 1000, 700], 750);
  assert.match(fixedFull, /so no round trip fits inside 800 ms: deciding tops without trading already uses 850 ms/);
  assert.match(
    fixedFull,
    /no round trip fits inside 40 % of the budget: deciding tops without trading already uses 850 ms and/,
  );

  const fine = withColdBursts([600, 650, 700]);
  assert.match(row(fine), /\| 751 ms \| ≤ 800 ms \| yes \|$/);
  assert.doesNotMatch(fine, /\*\*Scheduled burst CPU\*\*/);
});
