import assert from "node:assert/strict";
import { ManualClock } from "../../support/manual_clock.ts";
import { TemporaryExchangeError } from "../../../supabase/functions/_shared/exchange/errors.ts";
import { takeLatencySamples } from "../../../supabase/functions/latency-sample/sample.ts";
import { samplingPlan } from "../../../supabase/functions/latency-sample/handler.ts";
import { DEFAULT_SETTINGS } from "../../../supabase/functions/_shared/settings.ts";

Deno.test("takeLatencySamples records each probe's latency, spaced, with failures as failures", async () => {
  const clock = new ManualClock(Date.UTC(2024, 0, 1));
  const script: (number | Error)[] = [12.34, new TemporaryExchangeError("fetchServerTime: 503"), 40, NaN];
  const samples = await takeLatencySamples(() => {
    const next = script.shift()!;
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }, { samples: 4, spacingMs: 250, clock });

  assert.deepEqual(samples.map((s) => [s.success, s.latency_ms]), [[true, 12.3], [false, null], [true, 40], [
    false,
    null,
  ]]);
  assert.match(samples[1].error ?? "", /TemporaryExchangeError: fetchServerTime: 503/);
  assert.match(samples[3].error ?? "", /no usable latency/);
  assert.deepEqual(clock.sleeps, [250, 250, 250], "spaced between samples, not after the last");
  assert.deepEqual(samples.map((s) => s.ts.getTime() - Date.UTC(2024, 0, 1)), [0, 250, 500, 750]);
});

Deno.test("takeLatencySamples refuses nonsense counts", async () => {
  const clock = new ManualClock();
  await assert.rejects(takeLatencySamples(() => Promise.resolve(1), { samples: 0, spacingMs: 0, clock }), RangeError);
  await assert.rejects(takeLatencySamples(() => Promise.resolve(1), { samples: 1, spacingMs: -1, clock }), RangeError);
});

Deno.test("samplingPlan: the body wins over settings, and the waits stay inside the budget", () => {
  assert.deepEqual(samplingPlan({}, DEFAULT_SETTINGS), { samples: 5, spacingMs: 200 });
  assert.deepEqual(samplingPlan({ samples: 3, spacing_ms: 0 }, DEFAULT_SETTINGS), { samples: 3, spacingMs: 0 });
  assert.deepEqual(samplingPlan({ samples: 1 }, DEFAULT_SETTINGS), { samples: 1, spacingMs: 0 });
  const slow = { ...DEFAULT_SETTINGS, latency_samples_per_call: 50, latency_sample_spacing_ms: 10_000 };
  const plan = samplingPlan({}, slow);
  assert.ok(plan.spacingMs * (plan.samples - 1) <= 60_000, JSON.stringify(plan));
});
