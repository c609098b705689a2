import assert from "node:assert/strict";
import type { PricePoint } from "../../../../dev/sim/types.ts";
import { benchSimConfig, benchSymbols, CYCLE_POINTS, cyclePath, cyclesFor } from "../../../../dev/bench/scenario.ts";

const bidAsk = (p: PricePoint) => "bid" in p ? p : { bid: p.mid - p.spread / 2, ask: p.mid + p.spread / 2 };
const spreadPct = (p: PricePoint) => {
  const { bid, ask } = bidAsk(p);
  return ((ask - bid) / ((ask + bid) / 2)) * 100;
};

Deno.test("bench symbols: the legacy four, then synthetic ones, up to the 50 bot_settings allows", () => {
  assert.deepEqual(benchSymbols(4), ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"]);
  assert.equal(benchSymbols(20)[4], "X01/USDT");
  const all = benchSymbols(50);
  assert.equal(new Set(all).size, 50);
  assert.ok(all.every((s) => /^[A-Z0-9]{2,20}\/[A-Z0-9]{2,20}$/.test(s)), "every symbol passes the settings check");
  assert.throws(() => benchSymbols(51), RangeError);
  assert.throws(() => benchSymbols(0), RangeError);
});

Deno.test("the bench market lists every symbol on both venues with deep books", () => {
  const config = benchSimConfig(200);
  for (const venue of ["binance", "okx"] as const) {
    assert.deepEqual(config[venue].markets.map((m) => m.symbol), benchSymbols(50));
    assert.equal(config[venue].priceStepIntervalMs, 200);
    assert.ok(config[venue].markets.every((m) => m.topOfBookQty >= 1_000));
  }
});

Deno.test("a cycle path makes an entry, fills it and takes profit, for any entry of the cycle", async (t) => {
  const base = 1_000;
  const offset = 3;
  const path = cyclePath(base, 2, offset);
  await t.step("offset points first, then whole cycles", () => assert.equal(path.length, offset + 2 * CYCLE_POINTS));
  await t.step("offset points are too narrow to enter on (under the tightest band's 0.03 %)", () => {
    assert.ok(path.slice(0, offset).every((p) => spreadPct(p) < 0.03));
  });
  const cycle = path.slice(offset, offset + CYCLE_POINTS).map(bidAsk);
  const rising = cycle.slice(0, 8);
  const [dip, jump] = cycle.slice(8);
  const mids = rising.map((p) => (p.bid + p.ask) / 2);
  await t.step("the rising mids go up, with a spread wide enough for the defensive band (0.1 %)", () => {
    assert.ok(mids.every((m, i) => i === 0 || m > mids[i - 1]));
    assert.ok(path.slice(offset, offset + 8).every((p) => spreadPct(p) >= 0.1));
  });
  await t.step("the dip's ask reaches every entry price of the cycle (a resting buy fills)", () => {
    assert.ok(mids.every((m) => dip.ask <= m));
  });
  await t.step("the dip's spread is too narrow for a new entry, and its bid stays above a 0.2 % stop loss", () => {
    assert.ok(spreadPct(path[offset + 8]) < 0.1);
    assert.ok(mids.every((m) => dip.bid > m * 0.998));
  });
  await t.step("the jump's bid takes a 0.2 % profit on every entry of the cycle", () => {
    assert.ok(mids.every((m) => jump.bid >= m * 1.002));
  });
  await t.step("the next cycle starts above the last: momentum stays up", () => {
    const next = bidAsk(path[offset + CYCLE_POINTS]);
    assert.ok((next.bid + next.ask) / 2 > mids.at(-1)!);
  });
  await t.step("bad arguments are refused", () => {
    assert.throws(() => cyclePath(0, 1), RangeError);
    assert.throws(() => cyclePath(1, 0), RangeError);
  });
});

Deno.test("cyclesFor covers the burst with slack", () => {
  // 10 s at 200 ms steps = 50 points = 5 cycles, plus 3.
  assert.equal(cyclesFor(10_000, 200), 8);
});
