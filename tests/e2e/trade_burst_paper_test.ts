/**
 * trade-burst in paper mode, end to end: the function served by the local stack (real Postgres + PostgREST +
 * gateway) with NO exchange keys in its env and bot_settings.mode = 'paper'. The simulator is only the source of
 * public quotes (scripted paths); orders exist only in our tables and fill against those quotes. Each scenario of
 * issue 5 that applies to paper runs here, and after every one the simulator's request log must hold no private or
 * signed request and its books no order.
 *
 * Fills are checked against figures computed here from the order rows and the simulator's fee schedule, not by the
 * bot's fill engine or pnl code. Partial fills do not exist in paper mode: a public quote carries no depth to split
 * a fill by, so a paper fill is whole (every paper order here is asserted filled 0 or in full). The partial-fill
 * scenario is covered on the exchange path only (tests/e2e/trade_burst_test.ts).
 *
 * Scripted paths move one point per quote request of the burst (tests/support/reliability.ts setPath), so every
 * point is seen, in order, however slowly the function starts or ticks.
 * Scenarios trade ETH/USDT on the binance venue.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import type { PricePoint, VenueConfig, VenueId } from "../../dev/sim/types.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import type { BurstSummary } from "../../supabase/functions/trade-burst/summary.ts";
import {
  assertClose,
  assertOnlyPublicReads,
  assertSimulatorHoldsNoOrders,
  EXCHANGE_KEY_VARIABLES,
  exchangeKeysIn,
  expectedFill,
  expectedLongPnl,
  type FeeRates,
  type PaperOrderRow,
  paperOrderRows,
  paperPositionRows,
  sellableQty,
  tradeLogRows,
} from "../support/paper_scenarios.ts";
import {
  burstBudgetMs,
  entryThen,
  resetTables,
  rising,
  ROUND_TRIP_TICKS,
  setPath,
  SIGNAL_TICKS,
} from "../support/reliability.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { type Stack, stackTest } from "../support/stack.ts";

const configs: Record<VenueId, VenueConfig> = { binance: defaultBinanceConfig(), okx: defaultOkxConfig() };
for (const config of Object.values(configs)) config.priceStepIntervalMs = 200;
const sim = await startSimulator({ seed: 11, config: configs });
globalThis.addEventListener("unload", () => void sim.stop());

const ETH = "ETH/USDT";
/** Long enough for a round trip on a busy machine, and the one-second time stop after it. */
const ETH_BURST = { duration_ms: burstBudgetMs(ROUND_TRIP_TICKS, 1000), venues: ["binance"], symbols: [ETH] };

/** What paper fills on `venue` must charge (the fee schedule the simulated venue publishes) and its ETH lot step. */
function venueTerms(venue: VenueId): { fees: FeeRates; ethStep: number } {
  const config = configs[venue];
  return { fees: config.fees, ethStep: config.markets.find((m) => m.symbol === ETH)!.stepSize };
}

// The venues' own accounts are empty: a paper burst must not need (or see) them. Refusal steps say so again below.
for (const venue of ["binance", "okx"] as const) sim.market.setBalance(venue, "USDT", 0);

function falling(start: number, n: number): PricePoint[] {
  return Array.from({ length: n }, (_, i) => ({ mid: start * (1 - 0.0001 * i), spread: start * 0.002 }));
}

async function resetPaper(sql: Sql, settings: Record<string, string | number | boolean> = {}): Promise<void> {
  // Protection on the venue is the product's default; the bot-managed scenarios turn it off (BOT_EXITS).
  await resetTables(sql, { mode: "paper", exit_protection: true, ...settings });
}

async function invoke(stack: Stack, body: unknown): Promise<{ status: number; body: BurstSummary }> {
  const res = await fetch(`${stack.gatewayUrl}/functions/v1/trade-burst`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.serviceRoleKey}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const num = (text: string | null) => Number(text);

/** Paper fills are whole: an order is either untouched or filled in full, never in part. */
function assertWholeFills(rows: readonly PaperOrderRow[]): void {
  for (const row of rows) {
    assert.equal(row.mode, "paper", `${row.client_order_id} is a paper order`);
    const filled = num(row.filled);
    assert.ok(filled === 0 || filled === num(row.amount), `${row.client_order_id}: filled ${filled} of ${row.amount}`);
  }
}

/**
 * The round trip a scripted path produced: one resting limit buy the ask came down to (a maker fill at its own
 * price), one market sell at `exitBid` (a taker fill). Checks both orders, the position and the trade log against
 * figures computed here, and returns the position.
 */
async function assertPaperRoundTrip(sql: Sql, exitBid: number, reason: string, venue: VenueId = "binance") {
  const { fees, ethStep } = venueTerms(venue);
  const rows = await paperOrderRows(sql);
  assert.deepEqual(rows.map((o) => [o.purpose, o.side, o.type, o.order_status]), [
    ["entry", "buy", "limit", "filled"],
    ["exit", "sell", "market", "filled"],
  ]);
  const [entryRow, exitRow] = rows;
  assert.deepEqual([entryRow.venue, exitRow.venue], [venue, venue]);
  const entry = expectedFill("buy", num(entryRow.amount), num(entryRow.price), fees.maker);
  assertClose(num(entryRow.filled), entry.qty, "entry filled");
  assertClose(num(entryRow.average), entry.price, "entry average (a resting buy fills at its limit)");
  assertClose(num(entryRow.cost), entry.cost, "entry cost");
  assertClose(num(entryRow.fee_cost), entry.fee, "entry fee (maker rate, in the base asset)");
  assert.equal(entryRow.fee_currency, "ETH");
  assert.equal(entryRow.raw?.isMaker, true, "the entry rested, then filled as maker");

  const exit = expectedFill("sell", sellableQty(entry, ethStep), exitBid, fees.taker);
  assertClose(num(exitRow.amount), exit.qty, "exit amount (what arrived after the fee, floored to the lot)");
  assertClose(num(exitRow.filled), exit.qty, "exit filled");
  assertClose(num(exitRow.average), exit.price, "exit average (a market sell fills at the bid)");
  assertClose(num(exitRow.cost), exit.cost, "exit cost");
  assertClose(num(exitRow.fee_cost), exit.fee, "exit fee (taker rate, in the quote asset)");
  assert.equal(exitRow.fee_currency, "USDT");
  assert.equal(exitRow.raw?.isMaker, false);

  const pnl = expectedLongPnl(entry, exit);
  const [position] = await paperPositionRows(sql);
  assert.equal(position.mode, "paper");
  assert.equal(position.venue, venue);
  assert.equal(position.status, "closed");
  assert.equal(position.exit_reason, reason);
  assert.equal(entryRow.position_id, position.id);
  assert.equal(exitRow.position_id, position.id);
  assertClose(num(position.entry_qty), entry.qty, "positions.entry_qty");
  assertClose(num(position.exit_qty), exit.qty, "positions.exit_qty");
  assertClose(num(position.realized_pnl), pnl, "positions.realized_pnl");

  const logs = await tradeLogRows(sql);
  assert.equal(logs.length, 1, "one trade log row per closed position");
  const [log] = logs;
  assertClose(num(log.pnl), pnl, "trade_logs.pnl");
  assertClose(num(log.size_usd), entry.cost, "trade_logs.size_usd");
  assertClose(num(log.entry_px), entry.price, "trade_logs.entry_px");
  assertClose(num(log.exit_px), exit.price, "trade_logs.exit_px");
  assert.equal(log.order_id, exitRow.exchange_order_id);
  assert.equal(log.order_status, "filled");
  assert.equal(log.position_id, position.id);
  return { position, pnl };
}

const BOT_EXITS = { exit_protection: false };

/**
 * A protected round trip: the entry filled, then one list of a take-profit limit and a stop sell for what arrived;
 * `soldBy` sold (its sibling cancelled) at `exitPrice` with the maker rate (take profit, a resting limit) or the taker
 * rate (stop, sold at the bid once triggered). No market exit. Checks the legs, the position and the trade log.
 */
async function assertProtectedRoundTrip(
  sql: Sql,
  soldBy: "take_profit" | "stop_loss",
  exitPrice: number | null,
  venue: VenueId = "binance",
) {
  const { fees, ethStep } = venueTerms(venue);
  const tick = configs[venue].markets.find((m) => m.symbol === ETH)!.tickSize;
  const rows = await paperOrderRows(sql);
  const [entryRow] = rows.filter((o) => o.purpose === "entry");
  const tp = rows.filter((o) => o.purpose === "take_profit");
  const sl = rows.filter((o) => o.purpose === "stop_loss");
  assert.equal(rows.length, 3, JSON.stringify(rows.map((o) => [o.purpose, o.order_status])));
  assert.deepEqual([tp.length, sl.length], [1, 1], "one list, no market exit");
  const entry = expectedFill("buy", num(entryRow.amount), num(entryRow.price), fees.maker);
  assertClose(num(entryRow.filled), entry.qty, "entry filled");
  const qty = sellableQty(entry, ethStep);
  assertClose(num(tp[0].amount), qty, "take profit amount: what arrived, floored to the lot");
  assertClose(num(sl[0].amount), qty, "stop amount: the same");
  const target = entry.price * 1.002;
  assert.ok(num(tp[0].price) >= target - 1e-9 && num(tp[0].price) < target + tick, `target ${tp[0].price}`);
  assert.deepEqual([tp[0].side, tp[0].type, sl[0].side, sl[0].type], ["sell", "limit", "sell", "stop"]);
  const [sold, sibling] = soldBy === "take_profit" ? [tp[0], sl[0]] : [sl[0], tp[0]];
  assert.equal(sold.order_status, "filled");
  assert.equal(sibling.order_status, "cancelled", "the sibling is cancelled when one leg fills");
  assert.equal(num(sibling.filled), 0);
  const price = exitPrice ?? num(tp[0].price);
  const exit = expectedFill("sell", qty, price, soldBy === "take_profit" ? fees.maker : fees.taker);
  assertClose(num(sold.average), exit.price, `${soldBy} average`);
  assertClose(num(sold.fee_cost), exit.fee, `${soldBy} fee`);
  assert.equal(sold.raw?.isMaker, soldBy === "take_profit");
  const pnl = expectedLongPnl(entry, exit);
  const [position] = await paperPositionRows(sql);
  assert.equal(position.status, "closed");
  assert.equal(position.exit_reason, soldBy);
  assertClose(num(position.realized_pnl), pnl, "positions.realized_pnl");
  const [log] = await tradeLogRows(sql);
  assertClose(num(log.pnl), pnl, "trade_logs.pnl");
  assert.equal(log.order_id, sold.exchange_order_id, "trade_logs names the leg that sold");
  return { position, pnl };
}

const TINY_BANDS = [
  { name: "aggressive", max_ms: 40, min_spread_pct: 0.03, size_usd: 4, throttle: 1 },
  { name: "normal", max_ms: 70, min_spread_pct: 0.05, size_usd: 4, throttle: 0.9 },
  { name: "cautious", max_ms: 85, min_spread_pct: 0.07, size_usd: 4, throttle: 0.7 },
  { name: "defensive", max_ms: null, min_spread_pct: 0.1, size_usd: 4, throttle: 0.5 },
];

stackTest("trade-burst in paper mode: every scenario with no keys and no private request", {
  functions: ["trade-burst"],
  // Base URLs only. The key variables are blanked (an empty value counts as unset) so nothing the test process
  // inherited can hand the function a key.
  functionEnv: {
    ...Object.fromEntries(EXCHANGE_KEY_VARIABLES.map((name) => [name, ""])),
    BINANCE_BASE_URL: sim.binance.baseUrl,
    OKX_BASE_URL: sim.okx.baseUrl,
    EXCHANGE_TIMEOUT_MS: "5000",
  },
}, async (t, stack) => {
  assert.deepEqual(exchangeKeysIn(stack.functionEnv), [], "the functions get no exchange key");

  await withSql(stack.databaseUrl, async (sql) => {
    /** A scenario as a step, with the two paper invariants checked after it. */
    const scenario = (name: string, body: () => Promise<void>) =>
      t.step(name, async () => {
        const before = sim.requestLog.lastId();
        await body();
        assert.ok(assertOnlyPublicReads(sim, before) > 0, "the burst read public quotes from the simulator");
        assertSimulatorHoldsNoOrders(sim);
        assertWholeFills(await paperOrderRows(sql));
      });

    // The first four round trips run with bot-managed exits (exit_protection = false, the fallback): the burst decides
    // and sells at market. The protected ones (the default) follow them.
    await scenario("an up-move opens a paper position; take profit closes it with PnL from paper fills", async () => {
      await resetPaper(sql, BOT_EXITS);
      setPath(sim, "binance", ETH, entryThen(3000, { bid: 3012, ask: 3012.5 }));
      const res = await invoke(stack, ETH_BURST);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.mode, "paper");
      const [venue] = res.body.venues;
      assert.equal(venue.status, "ran");
      assert.equal(venue.positions_opened, 1);
      assert.equal(venue.positions_closed, 1);
      assert.equal(venue.exits_by_reason.take_profit, 1);
      const { pnl } = await assertPaperRoundTrip(sql, 3012, "take_profit");
      assert.ok(pnl > 0, `a take profit gains (${pnl})`);
      assertClose(venue.realized_pnl, pnl, "the summary's realized PnL", 1e-6);
    });

    // OKX's spot rates differ for maker and taker (the simulator charges OKX's base tier, 0.08 % / 0.10 %), so this
    // round trip also tells a maker fill from a taker fill by its fee. Paper fees must be the venue's: ccxt's static
    // OKX market fees (0.10 % / 0.15 %) are not what OKX charges.
    await scenario(
      "on okx too, take profit closes a paper position with the venue's maker and taker fees",
      async () => {
        await resetPaper(sql, BOT_EXITS);
        setPath(sim, "okx", ETH, entryThen(3000, { bid: 3012, ask: 3012.5 }));
        const res = await invoke(stack, { ...ETH_BURST, venues: ["okx"] });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.venues[0].positions_closed, 1, JSON.stringify(res.body.venues[0]));
        await assertPaperRoundTrip(sql, 3012, "take_profit", "okx");
      },
    );

    await scenario("a down-move after the paper fill hits the stop loss", async () => {
      await resetPaper(sql, BOT_EXITS);
      setPath(sim, "binance", ETH, entryThen(3000, { bid: 2990, ask: 2990.5 }));
      const res = await invoke(stack, ETH_BURST);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { pnl } = await assertPaperRoundTrip(sql, 2990, "stop_loss");
      assert.ok(pnl < 0, `a stop loss loses (${pnl})`);
    });

    await scenario("a flat market after the paper fill hits the time stop", async () => {
      await resetPaper(sql, { ...BOT_EXITS, time_stop_seconds: 1 });
      // entryThen ends on the dip quote (bid 2999.9), which then holds: neither take profit nor stop loss.
      const path = entryThen(3000, { bid: 2999.9, ask: 3000 });
      setPath(sim, "binance", ETH, path);
      const res = await invoke(stack, ETH_BURST);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { position } = await assertPaperRoundTrip(sql, 2999.9, "time_stop");
      assert.ok(num(position.seconds_open) >= 1, `held at least time_stop_seconds (${position.seconds_open} s)`);
    });

    await scenario(
      "protected (the default): the take profit rests at the target and sells there as maker",
      async () => {
        await resetPaper(sql);
        setPath(sim, "binance", ETH, entryThen(3000, { bid: 3012, ask: 3012.5 }));
        const res = await invoke(stack, ETH_BURST);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.venues[0].exits_by_reason.take_profit, 1, JSON.stringify(res.body.venues[0]));
        // Sold at the target although 3012 was on offer (a resting limit takes its own price): with Binance's
        // 0.1 % / 0.1 % the 0.2 % target about pays the fees, so the PnL is checked against the fills, not its sign.
        await assertProtectedRoundTrip(sql, "take_profit", null);
      },
    );

    await scenario("protected on okx: a fall through the trigger sells at the bid", async () => {
      await resetPaper(sql);
      setPath(sim, "okx", ETH, entryThen(3000, { bid: 2990, ask: 2990.5 }));
      const res = await invoke(stack, { ...ETH_BURST, venues: ["okx"] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { pnl } = await assertProtectedRoundTrip(sql, "stop_loss", 2990, "okx");
      assert.ok(pnl < 0, `a stop loss loses (${pnl})`);
    });

    await scenario("protected: the position waits on its legs between bursts; the next one closes it", async () => {
      await resetPaper(sql);
      // Burst 1 enters and ends on the flat dip quote: open, both legs resting in the tables.
      setPath(sim, "binance", ETH, entryThen(3000, { bid: 2999.9, ask: 3000 }));
      const first = await invoke(stack, ETH_BURST);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const resting = await paperOrderRows(sql);
      assert.deepEqual(resting.map((o) => [o.purpose, o.order_status]).sort(), [
        ["entry", "filled"],
        ["stop_loss", "open"],
        ["take_profit", "open"],
      ]);
      assert.equal((await paperPositionRows(sql))[0].status, "open");
      // No burst runs while the price falls through the stop; the next burst sees the fall and closes it.
      setPath(sim, "binance", ETH, [{ bid: 2990, ask: 2990.5 }]);
      const second = await invoke(stack, { ...ETH_BURST, duration_ms: burstBudgetMs(5, 0) });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.venues[0].signals.entries, 0, "no new entry on the symbol in the same burst");
      await assertProtectedRoundTrip(sql, "stop_loss", 2990);
    });

    await scenario("protected: the time stop cancels both legs, then sells at market, once", async () => {
      await resetPaper(sql, { time_stop_seconds: 1 });
      setPath(sim, "binance", ETH, entryThen(3000, { bid: 2999.9, ask: 3000 }));
      const res = await invoke(stack, ETH_BURST);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const rows = await paperOrderRows(sql);
      assert.deepEqual(rows.map((o) => [o.purpose, o.type, o.order_status]).sort(), [
        ["entry", "limit", "filled"],
        ["exit", "market", "filled"],
        ["stop_loss", "stop", "cancelled"],
        ["take_profit", "limit", "cancelled"],
      ]);
      const { fees, ethStep } = venueTerms("binance");
      const [entryRow] = rows.filter((o) => o.purpose === "entry");
      const entry = expectedFill("buy", num(entryRow.amount), num(entryRow.price), fees.maker);
      // No double sell: everything the sells took together is what arrived, floored to the lot.
      const sold = rows.filter((o) => o.side === "sell").reduce((sum, o) => sum + num(o.filled), 0);
      assertClose(sold, sellableQty(entry, ethStep), "sold in all");
      const [position] = await paperPositionRows(sql);
      assert.equal(position.status, "closed");
      assert.equal(position.exit_reason, "time_stop");
    });

    await scenario("a paper entry the ask never reaches is cancelled after entry_timeout_seconds", async () => {
      await resetPaper(sql, { entry_timeout_seconds: 1 });
      // Rising (the entry rests at a mid of at most 3001.5), then held with the ask above it. The held spread is
      // too narrow for a new signal, so the one entry is all there is.
      setPath(sim, "binance", ETH, [...rising(3000, 6), { bid: 3001.6, ask: 3001.9 }]);
      // Seven points, the one-second entry timeout, a tick to cancel.
      const res = await invoke(stack, { ...ETH_BURST, duration_ms: burstBudgetMs(8, 1000) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const rows = await paperOrderRows(sql);
      assert.deepEqual(rows.map((o) => [o.purpose, o.side, o.type, o.order_status]), [
        ["entry", "buy", "limit", "cancelled"],
      ]);
      const [entry] = rows;
      assert.ok(num(entry.price) < 3001.9, `the entry (${entry.price}) sits below the held ask`);
      assert.equal(num(entry.filled), 0);
      assert.ok(num(entry.seconds_to_close) >= 1, `cancelled no sooner than the timeout (${entry.seconds_to_close} s)`);
      const [position] = await paperPositionRows(sql);
      assert.equal(position.status, "failed");
      assert.equal(position.id, entry.position_id);
      assert.equal((await tradeLogRows(sql)).length, 0);
    });

    const refusals: {
      name: string;
      reason: string;
      settings?: Record<string, string | number | boolean>;
      setup?: () => Promise<void>;
    }[] = [
      { name: "trading_enabled = false", reason: "trading_disabled", settings: { trading_enabled: false } },
      { name: "the trade cap", reason: "daily_trade_cap", settings: { max_trades_per_day: 0 } },
      {
        name: "the daily loss limit (paper losses)",
        reason: "daily_loss_limit",
        setup: async () => {
          await sql`insert into public.positions (venue, symbol, status, mode, entry_qty, entry_avg_px, exit_qty,
                      exit_avg_px, realized_pnl, exit_reason, opened_at, closed_at)
                    values ('okx', 'ETH/USDT', 'closed', 'paper', 1, 3000, 1, 2940, -60, 'stop_loss',
                      now() - interval '1 minute', now())`;
        },
      },
      {
        name: "an insufficient paper starting balance",
        reason: "insufficient_balance",
        settings: { paper_starting_usdt: 5 },
        // A rich venue account changes nothing: paper balance is the paper ledger's.
        setup: () => Promise.resolve(sim.market.setBalance("binance", "USDT", 1_000_000)),
      },
      {
        name: "a paper balance spent by earlier paper fills",
        reason: "insufficient_balance",
        setup: async () => {
          // An earlier paper buy of BTC took 9995.05 of the 10000 starting USDT: the ledger leaves 4.95 free.
          await sql`insert into public.orders (client_order_id, exchange_order_id, venue, symbol, side, type, amount,
                      filled, remaining, average, cost, fee_cost, fee_currency, order_status, purpose, mode,
                      submitted_at, closed_at)
                    values ('paper-ledger-seed', 'paper-paper-ledger-seed', 'binance', 'BTC/USDT', 'buy', 'market',
                      0.15377, 0.15377, 0, 65000, 9995.05, 0.00015377, 'BTC', 'filled', 'entry', 'paper',
                      now() - interval '1 hour', now() - interval '1 hour')`;
          sim.market.setBalance("binance", "USDT", 1_000_000);
        },
      },
      { name: "a too-small order", reason: "below_min_notional" },
    ];
    for (const refusal of refusals) {
      await scenario(`${refusal.name} stops paper entries with the reason in the summary`, async () => {
        await resetPaper(sql, refusal.settings);
        if (refusal.reason === "below_min_notional") {
          await sql`update public.bot_settings set latency_bands = ${sql.json(TINY_BANDS)} where id = 1`;
        }
        await refusal.setup?.();
        try {
          setPath(sim, "binance", ETH, rising(3000, 10));
          const res = await invoke(stack, { ...ETH_BURST, duration_ms: burstBudgetMs(SIGNAL_TICKS) });
          assert.equal(res.status, 200, JSON.stringify(res.body));
          const [venue] = res.body.venues;
          assert.ok((venue.refusals[refusal.reason] ?? 0) > 0, JSON.stringify(venue));
          assert.equal(res.body.totals.refusals[refusal.reason], venue.refusals[refusal.reason]);
          assert.equal(venue.orders_sent, 0);
          const sent = (await paperOrderRows(sql)).filter((o) => o.client_order_id !== "paper-ledger-seed");
          assert.deepEqual(sent, [], "no paper order recorded");
          const [run] = await sql`select summary from public.function_runs where venue is null`;
          assert.ok(run.summary.totals.refusals[refusal.reason] > 0, "the run log holds the summary");
        } finally {
          sim.market.setBalance("binance", "USDT", 0);
          await sql`update public.bot_settings set latency_bands = default where id = 1`;
        }
      });
    }

    await scenario("a short signal on spot sends nothing in paper mode", async () => {
      await resetPaper(sql);
      setPath(sim, "binance", ETH, falling(3000, 10));
      const res = await invoke(stack, { ...ETH_BURST, duration_ms: burstBudgetMs(SIGNAL_TICKS) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const [venue] = res.body.venues;
      assert.ok((venue.signals.skipped.short_without_inventory ?? 0) > 0, JSON.stringify(venue));
      assert.equal(venue.orders_sent, 0);
      assert.equal((await paperOrderRows(sql)).length, 0);
      assert.equal((await paperPositionRows(sql)).length, 0);
    });
  });
});
