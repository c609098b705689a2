import assert from "node:assert/strict";
import { type FallbackDeps, isUnanswered, sendWithFallback } from "../../../../dev/schedule/fallback.ts";
import type { Invocation } from "../../../../dev/schedule/invoke.ts";

const TOKYO = "ap-northeast-1";
const SINGAPORE = "ap-southeast-1";

const burst = (venue: string, region: string | null, durationMs = 45_000): Invocation => ({
  function_name: "trade-burst",
  body: { duration_ms: durationMs, venues: [venue] },
  region,
  timeout_ms: 60_000,
});

/** A fake platform: `down` regions answer 503; the database's answer follows the reports, as venue_burst_region does. */
function platform(down: Set<string>, ranking: Record<string, (string | null)[]>, clock = { ms: 0 }) {
  const reported: string[] = [];
  const sent: Invocation[] = [];
  const deps: FallbackDeps = {
    send: (call) => {
      sent.push(call);
      clock.ms += 10;
      const dropped = call.region !== null && down.has(call.region);
      return Promise.resolve({ region: call.region, venues: call.body.venues, status: dropped ? 503 : 200, body: {} });
    },
    report: (_fn, region) => {
      reported.push(region);
      return Promise.resolve();
    },
    invocations: () =>
      Promise.resolve(
        Object.entries(ranking).map(([venue, regions]) => {
          const region = regions.find((r) => r === null || !reported.includes(r)) ?? null;
          return burst(venue, region);
        }),
      ),
    monotonicMs: () => clock.ms,
  };
  return { deps, reported, sent };
}

Deno.test("unanswered: the router's 502/503/504 and no answer; a function's own error is an answer", () => {
  assert.deepEqual([0, 502, 503, 504].map(isUnanswered), [true, true, true, true]);
  assert.deepEqual([200, 400, 401, 500].map(isUnanswered), [false, false, false, false]);
});

Deno.test("an unanswered burst is re-sent to the venue's next region, with the rest of its duration", async () => {
  const clock = { ms: 0 };
  const p = platform(new Set([SINGAPORE]), { binance: [SINGAPORE, TOKYO], okx: [SINGAPORE] }, clock);
  const attempts = await sendWithFallback(burst("binance", SINGAPORE), "venue_home_region", p.deps);
  assert.deepEqual(attempts.map((a) => `${a.region} ${a.status}`), [`${SINGAPORE} 503`, `${TOKYO} 200`]);
  assert.equal(attempts[0]!.fell_back_to, TOKYO);
  assert.deepEqual(p.reported, [SINGAPORE]);
  assert.equal(p.sent[1]!.body.duration_ms, 45_000 - 10, "the re-send runs for what is left of the burst");
});

Deno.test("every region down: the last resort is the call without a region", async () => {
  const p = platform(new Set([SINGAPORE, TOKYO]), { binance: [SINGAPORE, TOKYO, null] });
  const attempts = await sendWithFallback(burst("binance", SINGAPORE), "venue_home_region", p.deps);
  assert.deepEqual(attempts.map((a) => `${a.region} ${a.status}`), [`${SINGAPORE} 503`, `${TOKYO} 503`, "null 200"]);
  assert.deepEqual(p.reported, [SINGAPORE, TOKYO]);
});

Deno.test("latency samples are not re-sent (a dead region's missing samples are the measurement), only reported", async () => {
  const p = platform(new Set([SINGAPORE]), { binance: [TOKYO] });
  const call: Invocation = {
    ...burst("binance", SINGAPORE),
    function_name: "latency-sample",
    body: { venues: ["binance"] },
  };
  const attempts = await sendWithFallback(call, "venue_candidate_regions", p.deps);
  assert.equal(attempts.length, 1);
  assert.deepEqual(p.reported, [SINGAPORE]);
});

Deno.test("answered calls and calls without a region are left alone; too little burst left is not re-sent", async () => {
  const p = platform(new Set([SINGAPORE]), { binance: [SINGAPORE, TOKYO] });
  assert.equal((await sendWithFallback(burst("binance", TOKYO), "venue_home_region", p.deps)).length, 1);
  assert.equal((await sendWithFallback(burst("binance", null), "venue_home_region", p.deps)).length, 1);
  assert.deepEqual(p.reported, []);
  const short = await sendWithFallback(burst("binance", SINGAPORE, 4_000), "venue_home_region", p.deps);
  assert.equal(short.length, 1, "a 4 s burst has less than MIN_RESEND_MS left");
  assert.deepEqual(p.reported, [SINGAPORE], "but the region is still marked");
});

Deno.test("a region that cannot be marked is not re-sent (the database would name it again)", async () => {
  const p = platform(new Set([SINGAPORE]), { binance: [SINGAPORE, TOKYO] });
  p.deps.report = () => Promise.reject(new Error("PostgREST is not reachable"));
  const attempts = await sendWithFallback(burst("binance", SINGAPORE), "venue_home_region", p.deps);
  assert.equal(attempts.length, 1);
  assert.match(attempts[0]!.report_error!, /not reachable/);
});
