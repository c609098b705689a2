import assert from "node:assert/strict";
import {
  type FillLike,
  InvalidFillError,
  pairOf,
  realizedPnl,
  sellableQuantity,
  summarizeFills,
  UnconvertibleFeeError,
} from "../../../../supabase/functions/_shared/trading/pnl.ts";
import { floorAmount } from "../../../../supabase/functions/_shared/trading/precision.ts";

const btcUsdt = pairOf("BTC/USDT");

/** A Binance-style entry filled in two parts, each charged 0.1 % in BTC (the asset bought). */
const partialBuysWithBaseFees: FillLike[] = [
  { price: 50000, amount: 0.006, fee: { cost: 0.000006, currency: "BTC" } },
  { price: 50010, amount: 0.004, fee: { cost: 0.000004, currency: "BTC" } },
];

Deno.test("pairOf splits a unified symbol", () => {
  assert.deepEqual(pairOf("BTC/USDT"), { base: "BTC", quote: "USDT" });
  assert.throws(() => pairOf("BTCUSDT"), RangeError);
});

Deno.test("summarizeFills aggregates quantity, cost and fees", async (t) => {
  await t.step("partial fills with base-asset fees", () => {
    const summary = summarizeFills(partialBuysWithBaseFees, btcUsdt);
    assert.deepEqual(summary, {
      fillCount: 2,
      qty: 0.01,
      avgPrice: 50004,
      quoteCost: 500.04,
      feesQuote: 0.50004, // 0.000006 × 50000 + 0.000004 × 50010, each at its own fill price
      baseFees: 0.00001,
      nonBaseFeesQuote: 0,
      netBaseQty: 0.00999,
    });
  });

  await t.step("no fills at all", () => {
    assert.deepEqual(summarizeFills([], btcUsdt), {
      fillCount: 0,
      qty: 0,
      avgPrice: 0,
      quoteCost: 0,
      feesQuote: 0,
      baseFees: 0,
      nonBaseFeesQuote: 0,
      netBaseQty: 0,
    });
  });

  await t.step("float-unfriendly amounts sum exactly", () => {
    const fills = [0.1, 0.2].map((amount) => ({ price: 3, amount, fee: { cost: 0, currency: "USDT" } }));
    const summary = summarizeFills(fills, btcUsdt);
    assert.equal(summary.qty, 0.3);
    assert.equal(summary.quoteCost, 0.9);
  });

  await t.step("ccxt's fees array is used instead of fee, never both", () => {
    const fee = { cost: 0.5, currency: "USDT" };
    const summary = summarizeFills([{ price: 100, amount: 1, fee, fees: [fee] }], btcUsdt);
    assert.equal(summary.feesQuote, 0.5);
  });

  await t.step("a zero fee needs no currency; a missing fee is no fee", () => {
    const summary = summarizeFills([{ price: 100, amount: 1, fee: { cost: 0 } }, { price: 100, amount: 1 }], btcUsdt);
    assert.equal(summary.feesQuote, 0);
  });

  await t.step("fees in a third currency use feeRates, else refuse", () => {
    const bnbFee: FillLike[] = [{ price: 100, amount: 1, fee: { cost: 0.001, currency: "BNB" } }];
    assert.equal(summarizeFills(bnbFee, { ...btcUsdt, feeRates: { BNB: 600 } }).feesQuote, 0.6);
    assert.throws(
      () => summarizeFills(bnbFee, btcUsdt),
      (error: unknown) =>
        error instanceof UnconvertibleFeeError && error.currency === "BNB" && /feeRates\.BNB/.test(error.message),
    );
  });

  await t.step("negative or non-finite fills are refused, naming the fill", () => {
    assert.throws(
      () => summarizeFills([{ price: 100, amount: 1 }, { price: 100, amount: -1 }], btcUsdt),
      (error: unknown) => error instanceof InvalidFillError && error.index === 1 && error.field === "amount",
    );
    assert.throws(() => summarizeFills([{ price: NaN, amount: 1 }], btcUsdt), InvalidFillError);
  });
});

Deno.test("sellableQuantity is what arrived after base-asset fees", () => {
  assert.equal(sellableQuantity(partialBuysWithBaseFees, btcUsdt), 0.00999);
  // the caller floors it to the lot step before selling
  assert.equal(
    floorAmount(sellableQuantity(partialBuysWithBaseFees, btcUsdt), {
      amountStep: 0.0001,
      priceStep: 0.01,
    }),
    0.0099,
  );
  const quoteFeeBuy: FillLike[] = [{ price: 100, amount: 1, fee: { cost: 0.1, currency: "USDT" } }];
  assert.equal(sellableQuantity(quoteFeeBuy, btcUsdt), 1);
});

Deno.test("realizedPnl of a long comes from fills and fees", async (t) => {
  await t.step("quote-currency fees: proceeds - cost - fees", () => {
    const result = realizedPnl(
      [{ price: 100, amount: 1, fee: { cost: 0.1, currency: "USDT" } }],
      [{ price: 110, amount: 1, fee: { cost: 0.11, currency: "USDT" } }],
      btcUsdt,
    );
    assert.equal(result.pnl, 9.79);
    assert.equal(result.feesQuote, 0.21);
    assert.equal(result.unsoldQty, 0);
  });

  await t.step("partial entry fills with base fees, whole holding sold", () => {
    const exit: FillLike[] = [{ price: 50100, amount: 0.00999, fee: { cost: 0.500499, currency: "USDT" } }];
    const result = realizedPnl(partialBuysWithBaseFees, exit, btcUsdt);
    // cash: received 500.499 - 0.500499, paid 500.04; the 0.00001 BTC fee is the coins that never arrived
    assert.equal(result.pnl, -0.041499);
    // same figure as exit proceeds - entry avg × qty sold - every fee in quote
    const viaFees = 500.499 - 50004 * 0.00999 - result.feesQuote;
    assert.ok(Math.abs(result.pnl - viaFees) < 1e-9);
    assert.equal(result.feesQuote, 1.000539);
    assert.equal(result.entry.avgPrice, 50004);
    assert.equal(result.exit.qty, 0.00999);
    assert.equal(result.unsoldQty, 0);
  });

  await t.step("lot-step dust left unsold: only the sold share of the cost is realized", () => {
    const exit: FillLike[] = [{ price: 50100, amount: 0.0099, fee: { cost: 0.49599, currency: "USDT" } }];
    const result = realizedPnl(partialBuysWithBaseFees, exit, btcUsdt);
    const costOfSold = 500.04 * 0.0099 / 0.00999;
    assert.ok(Math.abs(result.pnl - (495.99 - 0.49599 - costOfSold)) < 1e-9, String(result.pnl));
    assert.equal(result.unsoldQty, 0.00009);
  });

  await t.step("exit filled in parts sums like one fill", () => {
    const oneExit: FillLike[] = [{ price: 110, amount: 1, fee: { cost: 0.11, currency: "USDT" } }];
    const twoExits: FillLike[] = [
      { price: 110, amount: 0.4, fee: { cost: 0.044, currency: "USDT" } },
      { price: 110, amount: 0.6, fee: { cost: 0.066, currency: "USDT" } },
    ];
    const entry: FillLike[] = [{ price: 100, amount: 1, fee: { cost: 0.1, currency: "USDT" } }];
    assert.equal(realizedPnl(entry, twoExits, btcUsdt).pnl, realizedPnl(entry, oneExit, btcUsdt).pnl);
  });

  await t.step("a losing trade is negative", () => {
    const result = realizedPnl(
      [{ price: 100, amount: 2, fee: { cost: 0.2, currency: "USDT" } }],
      [{ price: 99.8, amount: 2, fee: { cost: 0.1996, currency: "USDT" } }],
      btcUsdt,
    );
    assert.equal(result.pnl, -0.7996);
  });

  await t.step("no exit fills yet: nothing realized, everything unsold", () => {
    const result = realizedPnl([{ price: 100, amount: 1 }], [], btcUsdt);
    assert.equal(result.pnl, 0);
    assert.equal(result.unsoldQty, 1);
  });
});
