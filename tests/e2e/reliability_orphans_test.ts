/**
 * Reliability: positions the settings no longer point at (issue 14). The rule: every active position and working
 * order of a venue is managed by every burst of that venue until it is closed, whatever the settings say now.
 *
 * Scenarios (each opens a real position on the simulator first, then changes the ground under it):
 * - the venue is set inactive (`exchange_connections.is_active = false`): no new entry, the open position still closes;
 * - the symbol is removed from `bot_settings.symbols`: the position still gets quotes and closes;
 * - a request body narrowed to another symbol: the position still closes;
 * - three exits refused (InsufficientFunds): the position is raised for a person, retried, and closes;
 * - fees charged in BNB (the simulator's per-account switch): entry, exit and PnL with the fee valued at BNB/USDT;
 * - the venue clock 2 s behind ours (Binance -1021 on every signed call): the round trip still completes;
 * - a mode switch (testnet → paper) while a testnet position is open: refused by the database, with the reason;
 * - an entry that timed out unfilled still counts towards the daily cap;
 * - max_open_positions = 1 with two venues signalling at once: one position in all;
 * - lowering paper_starting_usdt below what open paper positions use: refused, with the reason;
 * - 1 200 old paper orders (PostgREST caps answers at 1 000 rows): the paper position still exits and closes.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import {
  assertTablesMatchSimulator,
  burstBudgetMs,
  entryThen,
  invokeBurst,
  isCreateOrder,
  positionRows,
  reportCounts,
  resetTables,
  rising,
  ROUND_TRIP_TICKS,
  setPath,
  SIGNAL_TICKS,
  startRecordingProxy,
  type VenueResult,
} from "../support/reliability.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { serverKey, type Stack, stackTest } from "../support/stack.ts";
import { simulatorEnv } from "../support/sim_env.ts";

const FILE = "reliability_orphans";
const ETH = "ETH/USDT";
const BTC = "BTC/USDT";

const binanceConfig = defaultBinanceConfig();
binanceConfig.priceStepIntervalMs = 200;
const sim = await startSimulator({ seed: 31, config: { binance: binanceConfig, okx: defaultOkxConfig() } });
const exchangeProxy = startRecordingProxy(sim.origin);
globalThis.addEventListener("unload", () => {
  void exchangeProxy.stop();
  void sim.stop();
});

const totals = { faults: 0, refused: 0, lost: 0, doubled: 0 };
let since = Date.now();

/** Every order the simulator holds since the scenario began is in `orders` once, with its status and fills. */
async function checkVenue(sql: Sql) {
  const reconciled = await assertTablesMatchSimulator(sql, sim, "binance", since);
  totals.lost += reconciled.lost.length;
  totals.doubled += reconciled.doubled.length;
}

async function burst(stack: Stack, body: Record<string, unknown>): Promise<VenueResult & Record<string, unknown>> {
  const res = await invokeBurst(stack.gatewayUrl, serverKey(stack), { venues: ["binance"], ...body });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const venue = res.body.venues![0] as VenueResult & Record<string, unknown>;
  assert.equal(venue.status, "ran", JSON.stringify(venue));
  return venue;
}

const buysSince = (first: number) =>
  exchangeProxy.requests.slice(first).filter((r) => isCreateOrder(r) && /side=BUY/.test(r.body)).length;

/** Opens one ETH position on the simulator (entry filled, price holding) and returns it. */
async function openEthPosition(stack: Stack, sql: Sql, mode = "testnet") {
  await resetTables(sql, { mode });
  await sql`update public.bot_settings set symbols = ${sql.array([ETH, BTC])} where id = 1`;
  await sql`update public.exchange_connections set is_active = true`;
  since = Date.now();
  sim.market.setBalance("binance", "USDT", 10_000);
  setPath(sim, "binance", BTC, [{ bid: 60_000, ask: 60_001 }]);
  setPath(sim, "binance", ETH, entryThen(3000, { bid: 3000.2, ask: 3000.8 }));
  await burst(stack, { duration_ms: burstBudgetMs(ROUND_TRIP_TICKS), symbols: [ETH] });
  const [position] = await positionRows(sql);
  assert.equal(position?.status, "open", `the ETH position opened (${JSON.stringify(position)})`);
  return position;
}

/** Take profit on ETH, then a rise that would tempt a new entry. */
function takeProfitThenRise() {
  setPath(sim, "binance", ETH, [{ bid: 3012, ask: 3012.5 }, ...rising(3012, 12)]);
}

stackTest("reliability: positions outside the current settings are still managed", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim, { via: exchangeProxy.origin, overrides: { EXCHANGE_TIMEOUT_MS: "2000" } }),
}, async (t, stack) => {
  await withSql(stack.databaseUrl, async (sql) => {
    await t.step("an inactive venue opens nothing new, and its open position still closes", async () => {
      await openEthPosition(stack, sql);
      await sql`update public.exchange_connections set is_active = false where exchange_name = 'binance'`;
      totals.faults += 1;
      const first = exchangeProxy.requests.length;
      takeProfitThenRise();
      const venue = await burst(stack, { duration_ms: burstBudgetMs(SIGNAL_TICKS + 14), symbols: [ETH] });
      const [position] = await positionRows(sql);
      assert.equal(position.status, "closed", "the open position closed on the inactive venue");
      assert.equal(position.exit_reason, "take_profit");
      assert.equal(buysSince(first), 0, `no entry on an inactive venue (${JSON.stringify(venue.refusals)})`);
      const refusals = venue.refusals as Record<string, number>;
      assert.ok((refusals.venue_inactive ?? 0) >= 1, `refused as venue_inactive: ${JSON.stringify(refusals)}`);
      totals.refused += refusals.venue_inactive;
      await checkVenue(sql);
      await sql`update public.exchange_connections set is_active = true`;
    });

    await t.step("a symbol removed from bot_settings.symbols: its position still closes", async () => {
      await openEthPosition(stack, sql);
      await sql`update public.bot_settings set symbols = ${sql.array([BTC])} where id = 1`;
      totals.faults += 1;
      setPath(sim, "binance", ETH, [{ bid: 3012, ask: 3012.5 }]);
      await burst(stack, { duration_ms: burstBudgetMs(4) });
      const [position] = await positionRows(sql);
      assert.equal(position.status, "closed", "the position on a removed symbol closed");
      assert.equal(position.exit_reason, "take_profit");
      await checkVenue(sql);
    });

    await t.step("a request body narrowed to another symbol: the position still closes", async () => {
      await openEthPosition(stack, sql);
      totals.faults += 1;
      setPath(sim, "binance", ETH, [{ bid: 3012, ask: 3012.5 }]);
      await burst(stack, { duration_ms: burstBudgetMs(4), symbols: [BTC] });
      const [position] = await positionRows(sql);
      assert.equal(position.status, "closed", "the position outside the narrowed body closed");
      await checkVenue(sql);
    });

    await t.step(
      "exits refused three times: raised for a person, retried, and closed once the balance is back",
      async () => {
        const opened = await openEthPosition(stack, sql);
        const account = sim.engines.binance.listAccounts()[0].id;
        const eth = sim.engines.binance.balances(account).find((b) => b.asset === "ETH")!;
        // The base asset is briefly unavailable: every sell is refused with InsufficientFunds (-2010).
        sim.market.setBalance("binance", "ETH", 0);
        totals.faults += 1;
        setPath(sim, "binance", ETH, [{ bid: 3012, ask: 3012.5 }]);
        const refused = await burst(stack, { duration_ms: burstBudgetMs(6), symbols: [ETH] });
        const [{ rejected }] = await sql<{ rejected: number }[]>`
        select count(*)::int as rejected from public.orders
        where position_id = ${opened.id} and purpose = 'exit' and order_status = 'rejected'`;
        assert.ok(rejected >= 3, `three exits refused (${rejected}; ${JSON.stringify(refused.notes)})`);
        totals.refused += rejected;
        assert.equal((await positionRows(sql))[0].status, "closing", "the position waits for its exit");

        sim.market.setBalance("binance", "ETH", Number(eth.free));
        let last: VenueResult & Record<string, unknown> = refused;
        for (let i = 0; i < 8 && (await positionRows(sql))[0].status !== "closed"; i++) {
          last = await burst(stack, { duration_ms: burstBudgetMs(4), symbols: [ETH] });
        }
        const [position] = await positionRows(sql);
        assert.equal(
          position.status,
          "closed",
          `the refused position closed once ETH was back (${JSON.stringify(last.notes)})`,
        );
        const [row] = await sql<{ needs_attention: boolean; attention: string | null }[]>`
        select needs_attention, attention from public.positions where id = ${opened.id}`;
        assert.equal(row.needs_attention, false, "the flag is cleared once it closed");
        assert.match(row.attention ?? "", /exits refused/, "the row keeps why it needed a person");
        assert.ok(
          (refused.needs_attention as string[] | undefined)?.includes(opened.id),
          `the run summary lists it: ${JSON.stringify(refused.needs_attention)}`,
        );
        await checkVenue(sql);
      },
    );

    await t.step("fees in BNB: entry, exit and PnL valued at the BNB quote; the venue keeps trading", async () => {
      await resetTables(sql);
      since = Date.now();
      sim.market.setBalance("binance", "USDT", 10_000);
      sim.market.setBalance("binance", "BNB", 5);
      setPath(sim, "binance", "BNB/USDT", [{ bid: 600, ask: 600.2 }]);
      setPath(sim, "binance", ETH, entryThen(3000, { bid: 3012, ask: 3012.5 }));
      sim.market.setBnbFees(true);
      totals.faults += 1;
      let venue: VenueResult;
      try {
        venue = await burst(stack, { duration_ms: burstBudgetMs(ROUND_TRIP_TICKS + 2), symbols: [ETH] });
      } finally {
        sim.market.setBnbFees(false);
      }
      const [position] = await positionRows(sql);
      assert.equal(position?.status, "closed", `the BNB-fee round trip closed (${JSON.stringify(venue.notes)})`);
      const orders = await sql<
        { client_order_id: string; purpose: string; fee_currency: string; fee_cost: string; rate: string | null }[]
      >`select client_order_id, purpose, fee_currency, fee_cost::text, fee_rate_used::text as rate
        from public.orders where position_id = ${position.id} order by created_at`;
      assert.deepEqual(orders.map((o) => [o.purpose, o.fee_currency]), [["entry", "BNB"], ["exit", "BNB"]]);
      for (const o of orders) assert.equal(Number(o.rate), 600.1, `${o.purpose}: the BNB/USDT mid is the rate used`);
      // PnL from the simulator's own trades: the whole amount arrives and is sold; fees are BNB at 600.1.
      const account = sim.engines.binance.listAccounts()[0].id;
      const trades = sim.engines.binance.myTrades(account, { symbol: ETH, since });
      const of = (o: { client_order_id: string }) => trades.filter((x) => x.clientOrderId === o.client_order_id);
      const [inTrades, outTrades] = [of(orders[0]), of(orders[1])];
      assert.ok([...inTrades, ...outTrades].every((x) => x.feeAsset === "BNB"), "the simulator charged BNB");
      const sum = (list: typeof trades, f: (x: (typeof trades)[number]) => number) =>
        list.reduce((a, x) => a + f(x), 0);
      const bnbFees = sum(inTrades, (x) => x.fee) + sum(outTrades, (x) => x.fee);
      const pnl = sum(outTrades, (x) => x.cost) - sum(inTrades, (x) => x.cost) - bnbFees * 600.1;
      assert.ok(
        Math.abs(Number(position.realized_pnl) - pnl) < 1e-6,
        `realized_pnl ${position.realized_pnl} vs ${pnl}`,
      );
      await checkVenue(sql);
    });

    await t.step("the venue clock 2 s behind ours: entry, exit and PnL still go through", async () => {
      await resetTables(sql);
      since = Date.now();
      sim.market.setBalance("binance", "USDT", 10_000);
      setPath(sim, "binance", ETH, entryThen(3000, { bid: 3012, ask: 3012.5 }));
      // Every signed request is 2 s ahead of the venue's clock: Binance answers -1021 (more than 1 s ahead).
      sim.market.setClockOffset("binance", -2_000);
      totals.faults += 1;
      const first = exchangeProxy.requests.length;
      let venue: VenueResult;
      try {
        venue = await burst(stack, { duration_ms: burstBudgetMs(ROUND_TRIP_TICKS + 2), symbols: [ETH] });
      } finally {
        sim.market.setClockOffset("binance", 0);
      }
      const [position] = await positionRows(sql);
      assert.equal(
        position?.status,
        "closed",
        `the round trip closed under a 2 s skew (${JSON.stringify(venue.notes)})`,
      );
      assert.equal(position.exit_reason, "take_profit");
      const timeReads = exchangeProxy.requests.slice(first).filter((r) => r.path.split("?")[0].endsWith("/api/v3/time"))
        .length;
      assert.ok(timeReads >= 1, "the client read the venue's time after the refused timestamp");
      await checkVenue(sql);
    });

    await t.step("a mode switch that would hide an open position is refused, with the reason", async () => {
      await openEthPosition(stack, sql);
      totals.faults += 1;
      await assert.rejects(
        sql`update public.bot_settings set mode = 'paper' where id = 1`,
        /testnet.*(position|order).*still active/,
      );
      totals.refused += 1;
      const [{ mode }] = await sql<{ mode: string }[]>`select mode from public.bot_settings where id = 1`;
      assert.equal(mode, "testnet", "the settings row kept its mode");
      // Once it is closed the switch is allowed.
      setPath(sim, "binance", ETH, [{ bid: 3012, ask: 3012.5 }]);
      await burst(stack, { duration_ms: burstBudgetMs(4), symbols: [ETH] });
      assert.equal((await positionRows(sql))[0].status, "closed");
      await sql`update public.bot_settings set mode = 'paper' where id = 1`;
    });

    await t.step("an entry that timed out unfilled counts towards the daily cap", async () => {
      await resetTables(sql, { max_trades_per_day: 1, entry_timeout_seconds: 1 });
      since = Date.now();
      sim.market.setBalance("binance", "USDT", 10_000);
      const first = exchangeProxy.requests.length;
      // Rising all the way: the resting buy at the mid is never reached, and times out.
      setPath(sim, "binance", ETH, rising(3000, 14));
      await burst(stack, { duration_ms: burstBudgetMs(14, 1_000), symbols: [ETH] });
      const [failed] = await positionRows(sql);
      assert.equal(failed?.status, "failed", "the entry timed out unfilled");
      totals.faults += 1;
      setPath(sim, "binance", ETH, rising(3010, 12));
      const venue = await burst(stack, { duration_ms: burstBudgetMs(12), symbols: [ETH] });
      assert.equal(buysSince(first), 1, "one entry sent today is the cap (max_trades_per_day = 1)");
      const refusals = venue.refusals as Record<string, number>;
      assert.ok((refusals.daily_trade_cap ?? 0) >= 1, JSON.stringify(refusals));
      totals.refused += refusals.daily_trade_cap;
      const [{ entries }] = await sql<{ entries: number }[]>`
        select (public.daily_trade_stats('testnet', date_trunc('day', now() at time zone 'utc') at time zone 'utc')
          ->> 'entries')::int as entries`;
      assert.equal(entries, 1, "the database counts the timed-out entry");
      await checkVenue(sql);
    });

    await t.step("max_open_positions is global: two venues signalling together open one position", async () => {
      await resetTables(sql, { max_open_positions: 1 });
      since = Date.now();
      sim.market.setBalance("binance", "USDT", 10_000);
      sim.market.setBalance("okx", "USDT", 10_000);
      setPath(sim, "binance", ETH, rising(3000, 14));
      setPath(sim, "okx", ETH, rising(3000, 14));
      totals.faults += 1;
      const res = await invokeBurst(stack.gatewayUrl, serverKey(stack), {
        duration_ms: burstBudgetMs(14),
        venues: ["binance", "okx"],
        symbols: [ETH],
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const positions = await positionRows(sql);
      assert.equal(positions.length, 1, `one position over both venues (${JSON.stringify(positions)})`);
      const refused = res.body.venues!.reduce(
        (n, v) => n + (((v as unknown as { refusals: Record<string, number> }).refusals.max_open_positions) ?? 0),
        0,
      );
      assert.ok(refused >= 1, `the other venue was refused as max_open_positions (${refused})`);
      totals.refused += refused;
      await checkVenue(sql);
    });

    await t.step("lowering paper_starting_usdt below what open paper positions use is refused", async () => {
      await openEthPosition(stack, sql, "paper");
      totals.faults += 1;
      await assert.rejects(
        sql`update public.bot_settings set paper_starting_usdt = 100 where id = 1`,
        /paper_starting_usdt.*open paper positions use/,
      );
      totals.refused += 1;
      await sql`update public.bot_settings set paper_starting_usdt = 5000 where id = 1`;
    });

    await t.step(
      "1 200 old paper orders: the paper position still exits (no answer is cut at 1 000 rows)",
      async () => {
        await openEthPosition(stack, sql, "paper");
        await sql`
        insert into public.orders (client_order_id, venue, symbol, side, type, purpose, mode, price, amount, filled,
                                   remaining, order_status, created_at, updated_at)
        select 'old-' || g, 'binance', 'ETH/USDT', 'buy', 'limit', 'entry', 'paper', 2000, 0.1, 0, 0.1, 'cancelled',
               now() - interval '2 days' - g * interval '1 second', now() - interval '2 days'
        from generate_series(1, 1200) g`;
        totals.faults += 1;
        setPath(sim, "binance", ETH, [{ bid: 3012, ask: 3012.5 }]);
        const venue = await burst(stack, { duration_ms: burstBudgetMs(4), symbols: [ETH] });
        const rows = await positionRows(sql);
        const position = rows.find((p) => p.symbol === ETH && p.status !== "failed")!;
        assert.equal(position.status, "closed", `the paper position closed (${JSON.stringify(venue.notes)})`);
        reportCounts(FILE, "positions_outside_settings", {
          faults_injected: totals.faults,
          calls_refused: totals.refused,
          orders_lost: totals.lost,
          orders_doubled: totals.doubled,
        });
      },
    );
  });
});
