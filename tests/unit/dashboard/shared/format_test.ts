import assert from "node:assert/strict";
import {
  ago,
  duration,
  millis,
  money,
  percent,
  pnl,
  price,
  quantity,
  quoteDecimals,
  quoteOf,
  utc,
  utcAndLocal,
} from "../../../../dashboard/shared/format.ts";

Deno.test("numbers read as a trader reads them", async (t) => {
  await t.step("fixed decimals per quote asset, thousands grouped", () => {
    assert.equal(money(10250.5), "10,250.50");
    assert.equal(money(0.1234567891, "BTC"), "0.12345679");
    assert.equal(quoteDecimals("usdc"), 2);
    assert.equal(quoteDecimals("XYZ"), 4);
    assert.equal(quoteOf("ETH/USDT"), "USDT");
    assert.equal(quoteOf("ETH/BTC"), "BTC");
    assert.equal(quoteOf("BTC/USDT:USDT"), "USDT");
  });
  await t.step("prices below 1 keep their significant places", () => {
    assert.equal(price(3000.5), "3,000.50");
    assert.equal(price(0.08251234), "0.082512");
    assert.equal(price(null), "—");
  });
  await t.step("PnL is signed with a real minus and toned; rounding to zero is flat", () => {
    assert.deepEqual(pnl(1.797), { text: "+1.80", tone: "pos" });
    assert.deepEqual(pnl(-0.4), { text: "\u22120.40", tone: "neg" });
    assert.deepEqual(pnl(-0.001), { text: "0.00", tone: "flat" });
    assert.deepEqual(pnl(Number.NaN), { text: "—", tone: "flat" });
  });
  await t.step("quantities, percentages, latencies", () => {
    assert.equal(quantity(0.2), "0.2");
    assert.equal(quantity(0.012345678912), "0.01234568");
    assert.equal(percent(0.625), "62.5 %");
    assert.equal(millis(21.4), "21 ms");
    assert.equal(millis(1234), "1.2 s");
  });
});

Deno.test("times: ages, durations, UTC with local beside it", () => {
  const now = new Date("2026-12-01T12:00:00Z");
  assert.equal(ago("2026-12-01T11:59:18Z", now), "42 s ago");
  assert.equal(ago("2026-12-01T09:55:00Z", now), "2 h 5 min ago");
  assert.equal(ago("2026-12-01T12:00:30Z", now), "in 30 s");
  assert.equal(ago(null, now), "never");
  assert.equal(duration(300), "5 min");
  assert.equal(duration(3 * 86400), "3 d");
  assert.equal(utc("2026-12-01T21:40:05.123Z"), "2026-12-01 21:40:05 UTC");
  assert.equal(utcAndLocal("2026-12-01T21:40:05Z", "Europe/Berlin"), "2026-12-01 21:40:05 UTC · 22:40:05 local");
  assert.equal(utc("not a time"), "—");
});
