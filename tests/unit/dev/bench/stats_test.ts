import assert from "node:assert/strict";
import {
  EmptySampleError,
  median,
  medianOrNull,
  percentile,
  perUnit,
  ratio,
  summarize,
} from "../../../../dev/bench/stats.ts";

Deno.test("median takes the middle value, or the mean of the middle two", async (t) => {
  await t.step("odd count", () => assert.equal(median([5, 1, 3]), 3));
  await t.step("even count", () => assert.equal(median([4, 1, 3, 2]), 2.5));
  await t.step("non-finite values are ignored", () => assert.equal(median([1, Number.NaN, 3, Infinity]), 2));
  await t.step("no samples throws, naming what was measured", () => {
    assert.throws(() => median([], "cold start"), (e) => e instanceof EmptySampleError && /cold start/.test(e.message));
  });
});

Deno.test("percentile is nearest-rank: p99 of few samples is the maximum", async (t) => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  await t.step("p50 of 1..100 is 50", () => assert.equal(percentile(values, 50), 50));
  await t.step("p99 of 1..100 is 99", () => assert.equal(percentile(values, 99), 99));
  await t.step("p100 is the maximum", () => assert.equal(percentile(values, 100), 100));
  await t.step("p99 of five samples is the largest", () => assert.equal(percentile([10, 50, 20, 40, 30], 99), 50));
  await t.step("p50 of two samples is the smaller", () => assert.equal(percentile([7, 3], 50), 3));
  await t.step("p outside (0, 100] is refused", () => {
    assert.throws(() => percentile([1], 0), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
  });
});

Deno.test("ratio and perUnit refuse meaningless denominators", () => {
  assert.equal(ratio(300, 150), 2);
  assert.equal(ratio(1, 0), null);
  assert.equal(ratio(Number.NaN, 1), null);
  assert.equal(perUnit(90, 3), 30);
  assert.equal(perUnit(5, 0), null);
});

Deno.test("summarize and medianOrNull skip missing figures", () => {
  assert.deepEqual(summarize([3, 1, 2]), { count: 3, median: 2, min: 1, max: 3 });
  assert.equal(summarize([]), null);
  assert.equal(medianOrNull([null, 4, undefined, 2]), 3);
  assert.equal(medianOrNull([null, undefined]), null);
});
