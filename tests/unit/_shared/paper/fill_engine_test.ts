import assert from "node:assert/strict";
import { matchPaperOrder, PaperOrderError } from "../../../../supabase/functions/_shared/paper/fill_engine.ts";

const MARKET = { base: "ETH", quote: "USDT", maker: 0.001, taker: 0.001 };
const stop = { side: "sell" as const, type: "stop" as const, price: 2984.98, trigger_price: 2999.98, amount: 0.05 };

Deno.test("a paper stop rests above its trigger, sells at the bid once crossed, rests again below its limit", () => {
  assert.equal(matchPaperOrder(stop, { bid: 3000, ask: 3001 }, MARKET, false)!.status, "open");
  const hit = matchPaperOrder(stop, { bid: 2999.98, ask: 3000 }, MARKET, false)!;
  assert.equal(hit.status, "filled");
  assert.equal(hit.average, 2999.98);
  assert.equal(hit.isMaker, false);
  assert.ok(Math.abs(hit.feeCost - 0.05 * 2999.98 * 0.001) < 1e-12);
  assert.equal(hit.feeCurrency, "USDT");
  assert.equal(matchPaperOrder(stop, { bid: 2990, ask: 2991 }, MARKET, false)!.average, 2990);
  assert.equal(matchPaperOrder(stop, { bid: 2984, ask: 2985 }, MARKET, false)!.status, "open", "gapped past the limit");
  const stopMarket = { ...stop, price: null };
  assert.equal(matchPaperOrder(stopMarket, { bid: 2900, ask: 2901 }, MARKET, false)!.average, 2900);
});

Deno.test("a paper stop needs a trigger and is a sell", () => {
  assert.throws(
    () => matchPaperOrder({ ...stop, trigger_price: null }, { bid: 1, ask: 2 }, MARKET, false),
    PaperOrderError,
  );
  assert.throws(() => matchPaperOrder({ ...stop, side: "buy" }, { bid: 1, ask: 2 }, MARKET, false), PaperOrderError);
});
