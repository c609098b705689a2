import assert from "node:assert/strict";
import { paperBalances, PaperLedgerError } from "../../../../supabase/functions/_shared/paper/paper_ledger.ts";
import { nonZeroAssets } from "../../../../supabase/functions/balance-sync/sync.ts";

const order = (fields: Record<string, unknown>) => ({
  client_order_id: "c1",
  symbol: "BTC/USDT",
  side: "buy",
  type: "limit",
  price: null,
  amount: 1,
  filled: 0,
  remaining: null,
  average: null,
  cost: null,
  fee_cost: null,
  fee_currency: null,
  order_status: "filled",
  ...fields,
});

Deno.test("a paper account with no orders holds the starting USDT", () => {
  assert.deepEqual(paperBalances(10_000, []), { USDT: { free: 10_000, used: 0, total: 10_000 } });
});

Deno.test("paper fills move quote and base by cost and amount, fees come off their currency", () => {
  const balances = paperBalances(1000, [
    // PostgREST returns numeric columns as strings or numbers: both are read.
    order({
      side: "buy",
      amount: "0.01",
      filled: "0.01",
      average: "50000",
      cost: "500",
      fee_cost: "0.00001",
      fee_currency: "BTC",
    }),
    order({
      client_order_id: "c2",
      side: "sell",
      amount: 0.005,
      filled: 0.005,
      average: 52000,
      cost: 260,
      fee_cost: 0.26,
      fee_currency: "USDT",
    }),
  ]);
  assert.deepEqual(balances.USDT, { free: 759.74, used: 0, total: 759.74 });
  assert.deepEqual(balances.BTC, { free: 0.00499, used: 0, total: 0.00499 });
});

Deno.test("resting paper orders lock funds as used; partial fills count what filled", () => {
  const balances = paperBalances(1000, [
    order({
      side: "buy",
      type: "limit",
      price: 100,
      amount: 2,
      filled: 0.5,
      remaining: 1.5,
      average: 100,
      cost: 50,
      order_status: "partially_filled",
      symbol: "SOL/USDT",
    }),
    order({
      client_order_id: "c2",
      side: "sell",
      type: "limit",
      price: 120,
      amount: 0.5,
      filled: 0,
      order_status: "open",
      symbol: "SOL/USDT",
    }),
  ]);
  assert.deepEqual(balances.USDT, { free: 800, used: 150, total: 950 });
  assert.deepEqual(balances.SOL, { free: 0, used: 0.5, total: 0.5 });
});

Deno.test("a missing cost is derived from filled × average", () => {
  const balances = paperBalances(100, [order({ symbol: "ETH/USDT", filled: 0.01, average: 3000, cost: null })]);
  assert.equal(balances.USDT.total, 70);
  assert.equal(balances.ETH.total, 0.01);
});

Deno.test("an inconsistent paper ledger is an error, never clipped to zero", async (t) => {
  await t.step("spending more than the account holds", () => {
    assert.throws(
      () => paperBalances(10, [order({ filled: 1, average: 50, cost: 50 })]),
      /USDT total would be negative/,
    );
  });
  await t.step("selling what was never bought", () => {
    assert.throws(() => paperBalances(10, [order({ side: "sell", filled: 1, average: 5, cost: 5 })]), PaperLedgerError);
  });
  await t.step("a filled order without a price", () => {
    assert.throws(() => paperBalances(10, [order({ filled: 1 })]), /filled without cost or average/);
  });
  await t.step("a malformed row names its field", () => {
    assert.throws(() => paperBalances(10, [order({ filled: "lots" })]), /paper order #0: filled/);
  });
});

Deno.test("nonZeroAssets keeps only assets with something in them, sorted", () => {
  assert.deepEqual(
    nonZeroAssets({
      USDT: { free: 0, used: 0, total: 0 },
      ETH: { free: 0, used: 1, total: 1 },
      BTC: { free: 0.1, used: 0, total: 0.1 },
    }),
    { BTC: { free: 0.1, used: 0, total: 0.1 }, ETH: { free: 0, used: 1, total: 1 } },
  );
});

Deno.test("the two legs of a protection list lock the base they both sell once, and none once a leg sold it", () => {
  const bought = order({ side: "buy", amount: 1, filled: 1, average: 100, cost: 100 });
  const tp = (fields: Record<string, unknown>) =>
    order({
      client_order_id: "tp",
      side: "sell",
      type: "limit",
      price: 101,
      amount: 1,
      remaining: 1,
      order_status: "open",
      list_client_id: "L1",
      ...fields,
    });
  const sl = (fields: Record<string, unknown>) => tp({ client_order_id: "sl", type: "stop", price: 99, ...fields });
  const resting = paperBalances(1000, [bought, tp({}), sl({})]);
  assert.deepEqual(resting.BTC, { free: 0, used: 1, total: 1 });
  // The take profit sold; the stop is still open in the tables until the burst applies its cancel.
  const sold = paperBalances(1000, [
    bought,
    tp({ filled: 1, remaining: 0, average: 101, cost: 101, order_status: "filled" }),
    sl({}),
  ]);
  assert.deepEqual(sold.BTC, { free: 0, used: 0, total: 0 });
  assert.equal(sold.USDT.total, 1001);
  // Without a list the same two sells would lock twice what is held: an inconsistent ledger.
  assert.throws(
    () => paperBalances(1000, [bought, tp({ list_client_id: null }), sl({ list_client_id: null })]),
    PaperLedgerError,
  );
});
