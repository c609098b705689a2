import assert from "node:assert/strict";
import { type FillLike, pairOf, realizedPnl } from "../../../../supabase/functions/_shared/trading/pnl.ts";
import { RealizedPnlMemo } from "../../../../supabase/functions/_shared/trading/pnl_memo.ts";

const entry: FillLike[] = [{ price: 100.1, amount: 0.3, fee: { cost: 0.0003, currency: "BTC" } }];
const exit: FillLike[] = [{ price: 100.35, amount: 0.2997, fee: { cost: 0.03007, currency: "USDT" } }];

Deno.test("the same fills give the answer realizedPnl computes, once, and it cannot be changed", () => {
  const memo = new RealizedPnlMemo();
  const first = memo.of("BTC/USDT", entry, exit);
  assert.deepEqual(first, realizedPnl(entry, exit, pairOf("BTC/USDT")));
  assert.equal(memo.hits, 0);
  // Equal fills in new objects (a row read again) are the same fills.
  const again = memo.of("BTC/USDT", structuredClone(entry), structuredClone(exit));
  assert.equal(again, first);
  assert.equal(memo.hits, 1);
  assert.throws(() => {
    (again as { pnl: number }).pnl = 0;
  }, TypeError);
  assert.throws(() => {
    (again.entry as { qty: number }).qty = 0;
  }, TypeError);
});

Deno.test("any change a fill's figures can carry gives a new answer", () => {
  const memo = new RealizedPnlMemo();
  const base = memo.of("BTC/USDT", entry, exit);
  const variants: [string, FillLike[], FillLike[]][] = [
    ["BTC/USDT", entry, [{ ...exit[0], price: 100.36 }]],
    ["BTC/USDT", entry, [{ ...exit[0], amount: 0.2 }]],
    ["BTC/USDT", [{ ...entry[0], fee: { cost: 0.0004, currency: "BTC" } }], exit],
    // The same cost in the quote instead of the base: a different fee.
    ["BTC/USDT", [{ ...entry[0], fee: { cost: 0.0003, currency: "USDT" } }], exit],
    ["BTC/USDT", [...entry, { price: 100, amount: 0.1, fee: null }], exit],
    ["BTC/USDT", entry, []],
    ["ETH/USDT", [{ ...entry[0], fee: { cost: 0.0003, currency: "ETH" } }], exit],
    // `fees` wins over `fee` when it lists any.
    ["BTC/USDT", [{ ...entry[0], fees: [{ cost: 0.01, currency: "USDT" }] }], exit],
  ];
  for (const [symbol, e, x] of variants) {
    const answer = memo.of(symbol, e, x);
    assert.deepEqual(answer, realizedPnl(e, x, pairOf(symbol)), `${symbol} ${JSON.stringify([e, x])}`);
    // Another symbol with the same figures may well give the same numbers; it is still not a hit (below).
    if (symbol === "BTC/USDT") assert.notDeepEqual(answer, base);
  }
  assert.equal(memo.hits, 0);
});

Deno.test("the memo keeps at most 256 answers, dropping the oldest", () => {
  const memo = new RealizedPnlMemo();
  const fillAt = (price: number): FillLike[] => [{ price, amount: 1, fee: null }];
  for (let i = 0; i < 300; i++) memo.of("BTC/USDT", fillAt(100 + i), []);
  assert.equal(memo.size, 256);
  memo.of("BTC/USDT", fillAt(399), []);
  assert.equal(memo.hits, 1);
  memo.of("BTC/USDT", fillAt(100), []);
  assert.equal(memo.hits, 1, "the first answer was dropped and computed again");
});

Deno.test("fills realizedPnl refuses are refused every time, not remembered", () => {
  const memo = new RealizedPnlMemo();
  const bad: FillLike[] = [{ price: -1, amount: 1 }];
  assert.throws(() => memo.of("BTC/USDT", bad, []), /fill\[0\]\.price is invalid/);
  assert.throws(() => memo.of("BTC/USDT", bad, []), /fill\[0\]\.price is invalid/);
  assert.equal(memo.size, 0);
});
