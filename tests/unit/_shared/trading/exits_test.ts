import assert from "node:assert/strict";
import { DEFAULT_SETTINGS } from "../../../../supabase/functions/_shared/settings.ts";
import {
  decideExit,
  exitPrices,
  InvalidInstantError,
  shouldCancelEntry,
  toEpochMs,
} from "../../../../supabase/functions/_shared/trading/exits.ts";

const openedAt = "2024-05-01T12:00:00.000000+00:00";
const openedMs = Date.parse(openedAt);
const position = { entry_avg_px: 100, opened_at: openedAt };
const soon = openedMs + 10_000;
const quote = (bid: number) => ({ bid, ask: bid + 0.01 });

Deno.test("exitPrices turns percent settings into trigger prices", () => {
  const { takeProfit, stopLoss } = exitPrices(100, DEFAULT_SETTINGS);
  assert.ok(Math.abs(takeProfit - 100.2) < 1e-9);
  assert.ok(Math.abs(stopLoss - 99.8) < 1e-9);
});

Deno.test("decideExit picks take profit, stop loss or time stop on the bid", async (t) => {
  await t.step("inside the band and young: hold", () => {
    assert.equal(decideExit(position, quote(100.1), soon, DEFAULT_SETTINGS), null);
    assert.equal(decideExit(position, quote(99.81), soon, DEFAULT_SETTINGS), null);
  });

  await t.step("bid exactly at +tp% takes profit, a hair under does not", () => {
    assert.equal(decideExit(position, quote(100.2), soon, DEFAULT_SETTINGS), "take_profit");
    assert.equal(decideExit(position, quote(100.1999), soon, DEFAULT_SETTINGS), null);
    assert.equal(decideExit(position, quote(101), soon, DEFAULT_SETTINGS), "take_profit");
  });

  await t.step("bid exactly at -sl% stops out, a hair above does not", () => {
    assert.equal(decideExit(position, quote(99.8), soon, DEFAULT_SETTINGS), "stop_loss");
    assert.equal(decideExit(position, quote(99.8001), soon, DEFAULT_SETTINGS), null);
    assert.equal(decideExit(position, quote(95), soon, DEFAULT_SETTINGS), "stop_loss");
  });

  await t.step("exact thresholds survive float error (3 × 1.002 is 3.0060000000000002 in floats)", () => {
    const atThree = { ...position, entry_avg_px: 3 };
    assert.ok(exitPrices(3, DEFAULT_SETTINGS).takeProfit > 3.006, "the float target really is above 3.006");
    assert.ok(exitPrices(3, DEFAULT_SETTINGS).stopLoss < 2.994, "the float stop really is below 2.994");
    assert.equal(decideExit(atThree, quote(3.006), soon, DEFAULT_SETTINGS), "take_profit");
    assert.equal(decideExit(atThree, quote(2.994), soon, DEFAULT_SETTINGS), "stop_loss");
    assert.equal(decideExit(atThree, quote(3.0059), soon, DEFAULT_SETTINGS), null);
  });

  await t.step("the bid decides, not the ask", () => {
    assert.equal(decideExit(position, { bid: 100.1, ask: 100.3 }, soon, DEFAULT_SETTINGS), null);
  });

  await t.step("held exactly time_stop_seconds: time stop; a millisecond less: hold", () => {
    assert.equal(decideExit(position, quote(100), openedMs + 180_000, DEFAULT_SETTINGS), "time_stop");
    assert.equal(decideExit(position, quote(100), openedMs + 179_999, DEFAULT_SETTINGS), null);
  });

  await t.step("price exits win over the time stop", () => {
    assert.equal(decideExit(position, quote(100.5), openedMs + 600_000, DEFAULT_SETTINGS), "take_profit");
    assert.equal(decideExit(position, quote(99), openedMs + 600_000, DEFAULT_SETTINGS), "stop_loss");
  });

  await t.step("a zero or broken bid never triggers a price exit, but time still runs", () => {
    assert.equal(decideExit(position, { bid: 0, ask: 0 }, soon, DEFAULT_SETTINGS), null);
    assert.equal(decideExit(position, { bid: NaN, ask: 100 }, soon, DEFAULT_SETTINGS), null);
    assert.equal(decideExit(position, { bid: 0, ask: 0 }, openedMs + 180_000, DEFAULT_SETTINGS), "time_stop");
  });

  await t.step("numeric strings, Dates and epoch ms are all accepted", () => {
    const row = { entry_avg_px: "100.00000000", opened_at: new Date(openedMs) };
    assert.equal(decideExit(row, quote(100.2), new Date(soon), DEFAULT_SETTINGS), "take_profit");
    assert.equal(
      decideExit({ ...row, opened_at: openedMs }, quote(100), openedMs + 180_000, DEFAULT_SETTINGS),
      "time_stop",
    );
  });

  await t.step("a zero entry price or a bad timestamp is refused", () => {
    assert.throws(() => decideExit({ ...position, entry_avg_px: 0 }, quote(100), soon, DEFAULT_SETTINGS), RangeError);
    assert.throws(
      () => decideExit({ ...position, opened_at: "not a date" }, quote(100), soon, DEFAULT_SETTINGS),
      (error: unknown) => error instanceof InvalidInstantError && error.field === "opened_at",
    );
  });

  await t.step("settings drive the thresholds", () => {
    const wide = { ...DEFAULT_SETTINGS, take_profit_pct: 1, stop_loss_pct: 2, time_stop_seconds: 60 };
    assert.equal(decideExit(position, quote(100.5), soon, wide), null);
    assert.equal(decideExit(position, quote(101), soon, wide), "take_profit");
    assert.equal(decideExit(position, quote(98), soon, wide), "stop_loss");
    assert.equal(decideExit(position, quote(100), openedMs + 60_000, wide), "time_stop");
  });
});

Deno.test("shouldCancelEntry gives up on an entry after entry_timeout_seconds", () => {
  const created = "2024-05-01T12:00:00Z";
  const createdMs = Date.parse(created);
  assert.equal(shouldCancelEntry(created, createdMs + 14_999, DEFAULT_SETTINGS), false);
  assert.equal(shouldCancelEntry(created, createdMs + 15_000, DEFAULT_SETTINGS), true);
  assert.equal(shouldCancelEntry(new Date(createdMs), new Date(createdMs + 60_000), DEFAULT_SETTINGS), true);
  assert.equal(shouldCancelEntry(created, createdMs, { entry_timeout_seconds: 1 }), false);
});

Deno.test("toEpochMs reads ISO text, Dates and numbers", () => {
  assert.equal(toEpochMs("1970-01-01T00:00:01Z"), 1000);
  assert.equal(toEpochMs(new Date(5)), 5);
  assert.equal(toEpochMs(7), 7);
  assert.throws(() => toEpochMs(new Date(NaN), "now"), InvalidInstantError);
});
