import assert from "node:assert/strict";
import {
  defensiveBand,
  type LatencySample,
  pickBand,
  summarizeLatency,
} from "../../../../supabase/functions/_shared/latency/bands.ts";
import { DEFAULT_SETTINGS, type LatencyBand } from "../../../../supabase/functions/_shared/settings.ts";

const bands = DEFAULT_SETTINGS.latency_bands;
const ok = (ms: number): LatencySample => ({ latency_ms: ms, success: true });
const fail: LatencySample = { latency_ms: null, success: false };

Deno.test("pickBand follows the legacy rule: first band whose max_ms >= avg, else the last", async (t) => {
  await t.step("each band's limit is inclusive", () => {
    assert.equal(pickBand(0, bands).name, "aggressive");
    assert.equal(pickBand(40, bands).name, "aggressive");
    assert.equal(pickBand(40.0001, bands).name, "normal");
    assert.equal(pickBand(70, bands).name, "normal");
    assert.equal(pickBand(85, bands).name, "cautious");
    assert.equal(pickBand(85.5, bands).name, "defensive");
  });

  await t.step("the null-limit last band catches everything slower", () => {
    assert.equal(pickBand(1e9, bands).name, "defensive");
    assert.equal(pickBand(Infinity, bands).name, "defensive");
  });

  await t.step("with a limit on the last band, slower averages still fall into it", () => {
    const legacy: LatencyBand[] = bands.map((b) => ({ ...b, max_ms: b.max_ms ?? 9999 }));
    assert.equal(pickBand(20_000, legacy).name, "defensive");
  });

  await t.step("NaN is treated as the slowest band", () => {
    assert.equal(pickBand(NaN, bands).name, "defensive");
  });

  await t.step("no bands is a programming error", () => {
    assert.throws(() => pickBand(10, []), RangeError);
  });
});

Deno.test("defensiveBand prefers the band named defensive, else the last band", () => {
  assert.equal(defensiveBand(bands).name, "defensive");
  const withoutDefensive = bands.slice(0, 3).map((b, i) => (i === 2 ? { ...b, max_ms: null } : b));
  assert.equal(defensiveBand(withoutDefensive).name, "cautious");
});

Deno.test("summarizeLatency averages successful samples and picks a band", async (t) => {
  await t.step("healthy venue: average, last, max and band", () => {
    const summary = summarizeLatency([ok(30), ok(50), ok(70)], DEFAULT_SETTINGS);
    assert.equal(summary.avgMs, 50);
    assert.equal(summary.lastMs, 70);
    assert.equal(summary.maxMs, 70);
    assert.equal(summary.failureRatio, 0);
    assert.equal(summary.band.name, "normal");
    assert.equal(summary.reason, "average");
  });

  await t.step("only the newest latency_window successful samples count", () => {
    const settings = { ...DEFAULT_SETTINGS, latency_window: 3 };
    // the old 1000 ms sample falls out of the window
    const summary = summarizeLatency([ok(1000), ok(10), ok(20), ok(30)], settings);
    assert.equal(summary.avgMs, 20);
    assert.equal(summary.maxMs, 30);
    assert.equal(summary.successCount, 3);
    assert.equal(summary.band.name, "aggressive");
  });

  await t.step("a few failures lower nothing but are counted, and a failed newest sample has no last", () => {
    const summary = summarizeLatency([ok(30), ok(30), ok(30), fail], DEFAULT_SETTINGS);
    assert.equal(summary.failureRatio, 0.25);
    assert.equal(summary.lastMs, null);
    assert.equal(summary.avgMs, 30);
    assert.equal(summary.band.name, "aggressive");
  });
});

Deno.test("summarizeLatency goes defensive when the venue mostly fails or never answered", async (t) => {
  await t.step("failure ratio exactly at the threshold is defensive", () => {
    const summary = summarizeLatency([ok(10), fail, ok(10), fail], DEFAULT_SETTINGS);
    assert.equal(summary.failureRatio, 0.5);
    assert.equal(summary.avgMs, 10);
    assert.equal(summary.band.name, "defensive");
    assert.equal(summary.reason, "failure_ratio");
  });

  await t.step("just under the threshold keeps the average's band", () => {
    const summary = summarizeLatency([ok(10), ok(10), fail], {
      ...DEFAULT_SETTINGS,
      latency_failure_ratio_defensive: 0.34,
    });
    assert.equal(summary.band.name, "aggressive");
  });

  await t.step("failure ratio looks only at the newest latency_window samples", () => {
    const settings = { ...DEFAULT_SETTINGS, latency_window: 4 };
    const summary = summarizeLatency([fail, fail, fail, fail, ok(10), ok(10), ok(10), fail], settings);
    assert.equal(summary.failureRatio, 0.25);
    assert.equal(summary.recentCount, 4);
    assert.equal(summary.band.name, "aggressive");
  });

  await t.step("no samples at all", () => {
    const summary = summarizeLatency([], DEFAULT_SETTINGS);
    assert.equal(summary.avgMs, null);
    assert.equal(summary.lastMs, null);
    assert.equal(summary.maxMs, null);
    assert.equal(summary.failureRatio, 0);
    assert.equal(summary.band.name, "defensive");
    assert.equal(summary.reason, "no_successful_samples");
  });

  await t.step("only failures", () => {
    const summary = summarizeLatency([fail, fail], DEFAULT_SETTINGS);
    assert.equal(summary.failureRatio, 1);
    assert.equal(summary.band.name, "defensive");
    assert.equal(summary.reason, "no_successful_samples");
  });

  await t.step("a 'successful' sample without a latency counts as failed", () => {
    const summary = summarizeLatency([{ latency_ms: null, success: true }, ok(20)], DEFAULT_SETTINGS);
    assert.equal(summary.avgMs, 20);
    assert.equal(summary.failureRatio, 0.5);
    assert.equal(summary.band.name, "defensive");
  });
});
