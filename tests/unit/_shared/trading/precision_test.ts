import assert from "node:assert/strict";
import { add, compare, mul } from "../../../../supabase/functions/_shared/trading/decimal.ts";
import {
  CCXT_DECIMAL_PLACES,
  CCXT_SIGNIFICANT_DIGITS,
  CCXT_TICK_SIZE,
  floorAmount,
  InvalidMarketRulesError,
  type MarketRules,
  marketRulesFromCcxt,
  prepareBuy,
  prepareSell,
} from "../../../../supabase/functions/_shared/trading/precision.ts";

/** Binance BTC/USDT-like filters: LOT_SIZE 0.00001, PRICE_FILTER 0.01, NOTIONAL 5. */
const btc: MarketRules = { amountStep: 0.00001, priceStep: 0.01, minAmount: 0.00001, minCost: 5 };

Deno.test("prepareBuy never spends more than the size and lands on the exchange's grids", async (t) => {
  await t.step("a typical BTC entry", () => {
    const order = prepareBuy({ sizeUsd: 600, price: 43123.456 }, btc);
    assert.deepEqual(order, { ok: true, amount: 0.01391, price: 43123.45, notional: 599.8471895 });
  });

  await t.step("an exact fit is not lost to float error", () => {
    // 4.35 / 1 / 0.01 is 434.99999999999994 in floats; exact arithmetic keeps all 435 steps
    const order = prepareBuy({ sizeUsd: 4.35, price: 1 }, { amountStep: 0.01, priceStep: 0.0001 });
    assert.deepEqual(order, { ok: true, amount: 4.35, price: 1, notional: 4.35 });
  });

  await t.step("tiny steps like 0.00001 stay exact", () => {
    const order = prepareBuy({ sizeUsd: 1.15, price: 1 }, { amountStep: 0.00001, priceStep: 0.00001 });
    assert.equal(order.ok, true);
    assert.equal(order.amount, 1.15);
  });

  await t.step("amount × price is within the size for many sizes and prices", () => {
    const market: MarketRules = { amountStep: 0.001, priceStep: 0.01 };
    for (let i = 1; i <= 200; i++) {
      const sizeUsd = 10 + i * 3.37;
      const price = 17.3 + i * 0.61;
      const order = prepareBuy({ sizeUsd, price }, market);
      assert.equal(order.ok, true);
      assert.ok(compare(mul(order.amount, order.price), sizeUsd) <= 0, `size ${sizeUsd} price ${price}`);
      // and one more lot would have been too much: the floor is tight
      assert.ok(compare(mul(add(order.amount, 0.001), order.price), sizeUsd) > 0, `size ${sizeUsd} price ${price}`);
    }
  });

  await t.step("the buy price is floored to the tick, never raised", () => {
    assert.equal(prepareBuy({ sizeUsd: 100, price: 2.34567 }, { amountStep: 0.1, priceStep: 0.001 }).price, 2.345);
  });

  await t.step("decimal-places markets read the step as a digit count", () => {
    const order = prepareBuy({ sizeUsd: 100, price: 3.14159 }, {
      amountStep: 2,
      priceStep: 3,
      amountPrecisionMode: "decimal_places",
      pricePrecisionMode: "decimal_places",
    });
    assert.deepEqual(order, { ok: true, amount: 31.83, price: 3.141, notional: 99.97803 });
  });
});

Deno.test("prepareBuy reports orders too small to send", async (t) => {
  await t.step("zero amount after flooring", () => {
    const order = prepareBuy({ sizeUsd: 0.0001, price: 43000 }, btc);
    assert.equal(order.ok, false);
    assert.equal(order.ok === false && order.reason, "zero_amount");
    assert.equal(order.amount, 0);
  });

  await t.step("zero size", () => {
    const order = prepareBuy({ sizeUsd: 0, price: 43000 }, btc);
    assert.equal(order.ok === false && order.reason, "zero_amount");
  });

  await t.step("below the minimum amount", () => {
    const order = prepareBuy({ sizeUsd: 50, price: 10 }, { amountStep: 0.1, priceStep: 0.01, minAmount: 10 });
    assert.equal(order.ok === false && order.reason, "below_min_amount");
    assert.equal(order.amount, 5);
  });

  await t.step("exactly the minimum amount passes", () => {
    assert.equal(prepareBuy({ sizeUsd: 100, price: 10 }, { amountStep: 0.1, priceStep: 0.01, minAmount: 10 }).ok, true);
  });

  await t.step("below the minimum notional, and exactly at it", () => {
    const tooSmall = prepareBuy({ sizeUsd: 4.99, price: 1 }, { amountStep: 0.01, priceStep: 0.01, minCost: 5 });
    assert.equal(tooSmall.ok === false && tooSmall.reason, "below_min_notional");
    assert.equal(tooSmall.notional, 4.99);
    const exact = prepareBuy({ sizeUsd: 5, price: 1 }, { amountStep: 0.01, priceStep: 0.01, minCost: 5 });
    assert.equal(exact.ok, true);
  });

  await t.step("flooring can push an order under the minimum notional: skipped, not rounded up", () => {
    // 5.004 USD at 1.001 buys 4.99 lots of 0.01 → notional 4.99499 < 5
    const order = prepareBuy({ sizeUsd: 5.004, price: 1.001 }, { amountStep: 0.01, priceStep: 0.001, minCost: 5 });
    assert.equal(order.ok === false && order.reason, "below_min_notional");
  });

  await t.step("zero, negative, NaN prices and a price under one tick are invalid_price", () => {
    for (const price of [0, -1, NaN, Infinity, 0.001]) {
      const order = prepareBuy({ sizeUsd: 100, price }, btc);
      assert.equal(order.ok === false && order.reason, "invalid_price", String(price));
    }
  });

  await t.step("a negative size is a caller bug", () => {
    assert.throws(() => prepareBuy({ sizeUsd: -1, price: 100 }, btc), RangeError);
  });
});

Deno.test("prepareSell never sells more than held and rounds the price as asked", async (t) => {
  await t.step("amount floored to the lot step", () => {
    const order = prepareSell({ quantity: 0.0138961, price: 43209.7 }, btc);
    assert.deepEqual(order, { ok: true, amount: 0.01389, price: 43209.7, notional: 600.18273300 });
  });

  await t.step("take profit rounds the price up (default): never asks less than the target", () => {
    assert.equal(prepareSell({ quantity: 1, price: 100.2001 }, btc).price, 100.21);
    assert.equal(prepareSell({ quantity: 1, price: 100.2 }, btc).price, 100.2);
  });

  await t.step("stop loss rounds down: at least as marketable as the reference", () => {
    assert.equal(prepareSell({ quantity: 1, price: 99.7999, priceRounding: "down" }, btc).price, 99.79);
  });

  await t.step("dust below the lot step or the minimum notional is reported", () => {
    const dust = prepareSell({ quantity: 0.000009, price: 43000 }, btc);
    assert.equal(dust.ok === false && dust.reason, "zero_amount");
    const small = prepareSell({ quantity: 0.0001, price: 43000 }, btc);
    assert.equal(small.ok === false && small.reason, "below_min_notional");
  });

  await t.step("a zero price is invalid", () => {
    assert.equal(prepareSell({ quantity: 1, price: 0 }, btc).ok, false);
  });
});

Deno.test("floorAmount floors to the market's lot step", () => {
  assert.equal(floorAmount(0.0099899, btc), 0.00998);
  assert.equal(floorAmount(0.3, { amountStep: 0.1, priceStep: 1 }), 0.3);
  assert.equal(floorAmount(0, btc), 0);
});

Deno.test("bad market rules are refused, naming the field", async (t) => {
  await t.step("zero, negative, missing steps", () => {
    for (const amountStep of [0, -0.1, NaN]) {
      assert.throws(
        () => prepareBuy({ sizeUsd: 10, price: 1 }, { amountStep, priceStep: 0.01 }),
        (error: unknown) => error instanceof InvalidMarketRulesError && error.field === "amountStep",
      );
    }
    assert.throws(
      () => prepareSell({ quantity: 1, price: 1 }, { amountStep: 1, priceStep: 0 }),
      (error: unknown) => error instanceof InvalidMarketRulesError && error.field === "priceStep",
    );
  });

  await t.step("decimal places must be a whole number", () => {
    assert.throws(
      () =>
        prepareBuy({ sizeUsd: 10, price: 1 }, { amountStep: 0.5, priceStep: 2, amountPrecisionMode: "decimal_places" }),
      InvalidMarketRulesError,
    );
  });
});

Deno.test("marketRulesFromCcxt reads a unified market", async (t) => {
  const market = {
    precision: { amount: 0.00001, price: 0.01 },
    limits: { amount: { min: 0.00001 }, cost: { min: 5 } },
  };

  await t.step("tick size mode", () => {
    assert.deepEqual(marketRulesFromCcxt(market, CCXT_TICK_SIZE), {
      ...btc,
      amountPrecisionMode: "tick_size",
      pricePrecisionMode: "tick_size",
    });
  });

  await t.step("decimal places mode and missing limits", () => {
    const rules = marketRulesFromCcxt({ precision: { amount: 5, price: 2 }, limits: {} }, CCXT_DECIMAL_PLACES);
    assert.equal(rules.minAmount, null);
    assert.equal(rules.minCost, null);
    assert.equal(prepareBuy({ sizeUsd: 10, price: 3.333 }, rules).amount, 3.00300);
  });

  await t.step("significant digits and missing precision are refused up front", () => {
    assert.throws(() => marketRulesFromCcxt(market, CCXT_SIGNIFICANT_DIGITS), InvalidMarketRulesError);
    assert.throws(
      () => marketRulesFromCcxt({ ...market, precision: { amount: null, price: 0.01 } }, CCXT_TICK_SIZE),
      (error: unknown) => error instanceof InvalidMarketRulesError && error.field === "amountStep",
    );
  });
});
