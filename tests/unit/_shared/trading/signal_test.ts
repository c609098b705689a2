import assert from "node:assert/strict";
import { DEFAULT_SETTINGS, type LatencyBand } from "../../../../supabase/functions/_shared/settings.ts";
import {
  drawdownThrottle,
  entrySizeUsd,
  evaluateSignal,
  MomentumBuffers,
  momentumKey,
  momentumPct,
  pushMid,
} from "../../../../supabase/functions/_shared/trading/signal.ts";
import { isUsableQuote, midPrice, spreadPct } from "../../../../supabase/functions/_shared/trading/quote.ts";

const [aggressive, normal, , defensive] = DEFAULT_SETTINGS.latency_bands as LatencyBand[];
const rich = { dailyPnl: 0, freeQuote: 100_000 };

/** n mids rising by `stepPct` percent of 100 each. */
function risingMids(n: number, stepPct: number): number[] {
  return Array.from({ length: n }, (_, i) => 100 * (1 + (i * stepPct) / 100));
}

Deno.test("spreadPct is (ask - bid) / mid × 100", async (t) => {
  await t.step("ordinary quote", () => {
    assert.ok(Math.abs(spreadPct(99.95, 100.05) - 0.1) < 1e-12);
    assert.equal(spreadPct(100, 100), 0);
  });
  await t.step("zero prices give 0, not NaN or Infinity", () => {
    assert.equal(spreadPct(0, 0), 0);
    assert.equal(spreadPct(-1, 1), 0);
  });
  await t.step("mid and usability", () => {
    assert.equal(midPrice({ bid: 99, ask: 101 }), 100);
    assert.equal(isUsableQuote({ bid: 99, ask: 101 }), true);
    assert.equal(isUsableQuote({ bid: 0, ask: 101 }), false);
    assert.equal(isUsableQuote({ bid: 102, ask: 101 }), false, "crossed book");
    assert.equal(isUsableQuote({ bid: NaN, ask: 101 }), false);
  });
});

Deno.test("momentum buffers keep the newest mids per venue and symbol", async (t) => {
  await t.step("pushMid keeps the last `window` mids and skips bad ones", () => {
    let buffer: number[] = [];
    for (let i = 1; i <= 12; i++) buffer = pushMid(buffer, i, 10);
    assert.deepEqual(buffer, [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(pushMid(buffer, 0, 10), buffer);
    assert.deepEqual(pushMid(buffer, NaN, 10), buffer);
  });

  await t.step("momentumPct is null until min samples, then first-to-last percent", () => {
    assert.equal(momentumPct([], 5), null);
    assert.equal(momentumPct([100, 101, 102, 103], 5), null);
    assert.equal(momentumPct([100, 101, 102, 103, 110], 5), 10);
    assert.equal(momentumPct([100, 100, 100, 100, 90], 5), -10);
  });

  await t.step("MomentumBuffers separates keys", () => {
    const buffers = new MomentumBuffers();
    const btcBinance = momentumKey("binance", "BTC/USDT");
    const btcOkx = momentumKey("okx", "BTC/USDT");
    assert.equal(btcBinance, "binance:BTC/USDT");
    buffers.observe(btcBinance, 100, 3);
    buffers.observe(btcBinance, 101, 3);
    buffers.observe(btcOkx, 50, 3);
    assert.deepEqual(buffers.get(btcBinance), [100, 101]);
    assert.deepEqual(buffers.get(btcOkx), [50]);
    assert.deepEqual(buffers.get("okx:ETH/USDT"), []);
    buffers.clear(btcOkx);
    assert.deepEqual(buffers.get(btcOkx), []);
    buffers.clear();
    assert.deepEqual(buffers.get(btcBinance), []);
  });
});

Deno.test("drawdownThrottle follows the legacy formula", async (t) => {
  await t.step("no loss, no throttle", () => {
    assert.equal(drawdownThrottle(0, DEFAULT_SETTINGS), 1);
    assert.equal(drawdownThrottle(25, DEFAULT_SETTINGS), 1);
  });
  await t.step("half the daily loss limit: 1 - 0.5 × 0.6", () => {
    assert.ok(Math.abs(drawdownThrottle(-25, DEFAULT_SETTINGS) - 0.7) < 1e-12);
  });
  await t.step("at and beyond the limit the floor holds", () => {
    assert.equal(drawdownThrottle(-50, DEFAULT_SETTINGS), 0.4);
    assert.equal(drawdownThrottle(-500, DEFAULT_SETTINGS), 0.4);
  });
  await t.step("a floor above 1 - slope wins early", () => {
    assert.equal(drawdownThrottle(-10, { ...DEFAULT_SETTINGS, drawdown_throttle_floor: 0.95 }), 0.95);
  });
});

Deno.test("entrySizeUsd multiplies band size, band throttle and drawdown throttle, then caps", async (t) => {
  await t.step("band size × throttle", () => {
    assert.equal(entrySizeUsd(aggressive, DEFAULT_SETTINGS, rich), 600);
    assert.ok(Math.abs(entrySizeUsd(normal, DEFAULT_SETTINGS, rich) - 495) < 1e-9);
    assert.equal(entrySizeUsd(defensive, DEFAULT_SETTINGS, rich), 175);
  });
  await t.step("drawdown shrinks it", () => {
    assert.ok(Math.abs(entrySizeUsd(aggressive, DEFAULT_SETTINGS, { dailyPnl: -25, freeQuote: 100_000 }) - 420) < 1e-9);
  });
  await t.step("capped by free balance × balance_use_fraction", () => {
    assert.ok(Math.abs(entrySizeUsd(aggressive, DEFAULT_SETTINGS, { dailyPnl: 0, freeQuote: 100 }) - 95) < 1e-9);
  });
  await t.step("clamped to max_order_usd", () => {
    assert.equal(entrySizeUsd(aggressive, { ...DEFAULT_SETTINGS, max_order_usd: 250 }, rich), 250);
  });
  await t.step("no or negative balance gives 0", () => {
    assert.equal(entrySizeUsd(aggressive, DEFAULT_SETTINGS, { dailyPnl: 0, freeQuote: 0 }), 0);
    assert.equal(entrySizeUsd(aggressive, DEFAULT_SETTINGS, { dailyPnl: 0, freeQuote: -5 }), 0);
    assert.equal(entrySizeUsd(aggressive, DEFAULT_SETTINGS, { dailyPnl: 0, freeQuote: NaN }), 0);
  });
});

Deno.test("evaluateSignal applies the legacy entry rules", async (t) => {
  // aggressive band: min spread 0.03 %; a 0.1 % wide quote around 100.
  const wide = { bid: 99.95, ask: 100.05 };
  const up = risingMids(10, 0.01);

  await t.step("wide spread, enough upward momentum: enter long", () => {
    const decision = evaluateSignal(wide, up, aggressive, DEFAULT_SETTINGS, rich);
    assert.equal(decision.action, "enter_long");
    assert.equal(decision.reason, undefined);
    assert.equal(decision.direction, "up");
    assert.equal(decision.size_usd, 600);
    assert.ok(Math.abs((decision.momentumPct ?? 0) - 0.09) < 1e-9);
  });

  await t.step("spread exactly at the band minimum passes (0.1 % on the defensive band)", () => {
    // (100.05 - 99.95) / 100 × 100 is 0.09999999999999432 in floats: the tolerance lets the exact threshold pass
    const decision = evaluateSignal(wide, up, defensive, DEFAULT_SETTINGS, rich);
    assert.ok(decision.spreadPct < 0.1, "the float value really is under the threshold");
    assert.equal(decision.action, "enter_long");
  });

  await t.step("spread just under the band minimum is skipped", () => {
    const decision = evaluateSignal({ bid: 99.951, ask: 100.049 }, up, defensive, DEFAULT_SETTINGS, rich);
    assert.equal(decision.action, "skip");
    assert.equal(decision.reason, "spread_too_narrow");
  });

  await t.step("fewer than momentum_min_samples mids: warming up (empty buffer too)", () => {
    assert.equal(evaluateSignal(wide, [], aggressive, DEFAULT_SETTINGS, rich).reason, "momentum_warming_up");
    const four = evaluateSignal(wide, risingMids(4, 1), aggressive, DEFAULT_SETTINGS, rich);
    assert.equal(four.reason, "momentum_warming_up");
    assert.equal(four.momentumPct, null);
    assert.equal(four.direction, "flat");
    assert.equal(evaluateSignal(wide, risingMids(5, 1), aggressive, DEFAULT_SETTINGS, rich).action, "enter_long");
  });

  await t.step("momentum exactly at momentum_min_pct passes, just under does not", () => {
    // (1.0001 - 1) / 1 × 100 is 0.009999999999998899 in floats
    const exact = evaluateSignal(wide, [1, 1, 1, 1, 1.0001], aggressive, DEFAULT_SETTINGS, rich);
    assert.ok((exact.momentumPct ?? 0) < 0.01, "the float value really is under the threshold");
    assert.equal(exact.action, "enter_long");
    const under = evaluateSignal(wide, [100, 100, 100, 100, 100.0099], aggressive, DEFAULT_SETTINGS, rich);
    assert.equal(under.reason, "momentum_too_weak");
    assert.equal(under.direction, "up");
  });

  await t.step("a flat market is too weak even with momentum_min_pct 0", () => {
    const flat = evaluateSignal(wide, [100, 100, 100, 100, 100], aggressive, {
      ...DEFAULT_SETTINGS,
      momentum_min_pct: 0,
    }, rich);
    assert.equal(flat.reason, "momentum_too_weak");
    assert.equal(flat.direction, "flat");
  });

  await t.step("a down move is a short: skipped on spot without inventory", () => {
    const down = evaluateSignal(wide, risingMids(10, -0.05), aggressive, DEFAULT_SETTINGS, rich);
    assert.equal(down.action, "skip");
    assert.equal(down.reason, "short_without_inventory");
    assert.equal(down.direction, "down");
  });

  await t.step("no free balance: skipped before any order", () => {
    const broke = evaluateSignal(wide, up, aggressive, DEFAULT_SETTINGS, { dailyPnl: 0, freeQuote: 0 });
    assert.equal(broke.reason, "insufficient_balance");
    assert.equal(broke.size_usd, 0);
  });

  await t.step("zero, crossed or missing prices: invalid quote", () => {
    for (const quote of [{ bid: 0, ask: 0 }, { bid: 101, ask: 100 }, { bid: NaN, ask: 100 }]) {
      const decision = evaluateSignal(quote, up, aggressive, DEFAULT_SETTINGS, rich);
      assert.equal(decision.reason, "invalid_quote");
      assert.equal(decision.spreadPct, 0);
    }
  });

  await t.step("the size follows the drawdown and balance caps", () => {
    const losing = evaluateSignal(wide, up, aggressive, DEFAULT_SETTINGS, { dailyPnl: -50, freeQuote: 100_000 });
    assert.ok(Math.abs(losing.size_usd - 240) < 1e-9);
    const poor = evaluateSignal(wide, up, aggressive, DEFAULT_SETTINGS, { dailyPnl: 0, freeQuote: 200 });
    assert.ok(Math.abs(poor.size_usd - 190) < 1e-9);
  });

  await t.step("settings drive the rules, not constants", () => {
    const strict = { ...DEFAULT_SETTINGS, momentum_min_samples: 10, momentum_min_pct: 0.5 };
    assert.equal(evaluateSignal(wide, risingMids(9, 1), aggressive, strict, rich).reason, "momentum_warming_up");
    assert.equal(evaluateSignal(wide, up, aggressive, strict, rich).reason, "momentum_too_weak");
  });
});

Deno.test("MomentumBuffers.amendLast replaces the newest mid, appends to an empty buffer, ignores a bad mid", () => {
  const buffers = new MomentumBuffers();
  assert.deepEqual(buffers.amendLast("k", 100, 3), [100]);
  buffers.observe("k", 101, 3);
  assert.deepEqual(buffers.amendLast("k", 102, 3), [100, 102]);
  assert.deepEqual(buffers.amendLast("k", Number.NaN, 3), [100, 102]);
  assert.deepEqual(buffers.amendLast("k", -1, 3), [100, 102]);
});
