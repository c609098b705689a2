/**
 * trade-burst end to end: the function served over HTTP by the local stack (real Postgres + PostgREST + gateway),
 * ccxt talking to the exchange simulator, whose scripted price paths drive each scenario. Table state is checked with
 * direct SQL and compared with the simulator's own fills.
 *
 * Scripted paths move one point per quote request of the burst, so every point is seen, in order, however slowly the
 * function starts or ticks; unscripted symbols random-walk every 200 ms of the simulator's clock.
 * Scenarios trade ETH/USDT (and SOL/USDT for the partial fill) on the binance venue only.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import type { PricePoint } from "../../dev/sim/types.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import { burstBudgetMs, ROUND_TRIP_TICKS, setPath as setScriptedPath, SIGNAL_TICKS } from "../support/reliability.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { clientKey, keyHeaders, serverKey, type Stack, stackTest } from "../support/stack.ts";
import { simulatorEnv } from "../support/sim_env.ts";

const binanceConfig = defaultBinanceConfig();
binanceConfig.priceStepIntervalMs = 200;
// Thin SOL book: 0.5 SOL at the touch per price step, so an entry of ~1.16 SOL fills only in part.
binanceConfig.markets = binanceConfig.markets.map((m) => m.symbol === "SOL/USDT" ? { ...m, topOfBookQty: 0.5 } : m);
const sim = await startSimulator({ seed: 7, config: { binance: binanceConfig, okx: defaultOkxConfig() } });
globalThis.addEventListener("unload", () => void sim.stop());
const binanceAccount = sim.engines.binance.listAccounts()[0].id;

const ETH = "ETH/USDT";

/** A scripted path the burst's quote requests move on, one point per tick (tests/support/reliability.ts). */
function setPath(venue: "binance", symbol: string, points: PricePoint[]): void {
  setScriptedPath(sim, venue, symbol, points);
}
const SOL = "SOL/USDT";

/** `n` points rising 0.01 % each from `start`, with a spread of 0.2 % (wide enough for every latency band). */
function rising(start: number, n: number): PricePoint[] {
  return Array.from({ length: n }, (_, i) => ({ mid: start * (1 + 0.0001 * i), spread: start * 0.002 }));
}
function falling(start: number, n: number): PricePoint[] {
  return Array.from({ length: n }, (_, i) => ({ mid: start * (1 - 0.0001 * i), spread: start * 0.002 }));
}
/** The ask comes down to the start price with a tight spread: a resting buy at any rising mid fills as maker. */
const dipEth: PricePoint = { bid: 2999.9, ask: 3000 };

interface OrderRow {
  client_order_id: string;
  exchange_order_id: string | null;
  side: string;
  type: string;
  purpose: string;
  price: string | null;
  amount: string;
  filled: string;
  average: string | null;
  cost: string | null;
  fee_cost: string | null;
  fee_currency: string | null;
  order_status: string;
  mode: string;
  position_id: string | null;
}

async function orders(sql: Sql): Promise<OrderRow[]> {
  return await sql<OrderRow[]>`
    select client_order_id, exchange_order_id, side, type, purpose, price::text, amount::text, filled::text,
           average::text, cost::text, fee_cost::text, fee_currency, order_status, mode, position_id::text
    from public.orders order by created_at, client_order_id`;
}

async function positions(sql: Sql) {
  return await sql<
    {
      id: string;
      symbol: string;
      status: string;
      mode: string;
      entry_qty: string;
      entry_avg_px: string | null;
      exit_qty: string;
      realized_pnl: string | null;
      exit_reason: string | null;
    }[]
  >`select id::text, symbol, status, mode, entry_qty::text, entry_avg_px::text, exit_qty::text,
           realized_pnl::text, exit_reason
    from public.positions order by opened_at`;
}

async function tradeLogs(sql: Sql) {
  return await sql<
    {
      symbol: string;
      size_usd: string;
      entry_px: string;
      exit_px: string;
      pnl: string;
      dur_seconds: string;
      order_id: string | null;
      order_status: string | null;
      position_id: string;
      fees_usd: string | null;
    }[]
  >`select symbol, size_usd::text, entry_px::text, exit_px::text, pnl::text, dur_seconds::text, order_id,
           order_status, position_id::text, fees_usd::text
    from public.trade_logs order by ts`;
}

/**
 * Empties the trading tables and puts the settings back to the scenario defaults. These scenarios test the burst's
 * own exits (exit_protection = false); protection on the venue has its own scenarios.
 */
async function reset(sql: Sql, mode: "paper" | "testnet", settings: Record<string, unknown> = {}): Promise<void> {
  await sql`delete from public.trade_logs`;
  await sql`delete from public.orders`;
  await sql`delete from public.positions`;
  await sql`delete from public.function_runs`;
  await sql`delete from public.market_quotes`;
  await sql`update public.bot_settings set mode = ${mode}, trading_enabled = true, live_trading_enabled = false,
            burst_tick_ms = 100, entry_timeout_seconds = 15, time_stop_seconds = 180, max_trades_per_day = 250,
            max_daily_loss_usd = 50, paper_starting_usdt = 10000, exit_protection = false,
            market_data = 'poll' where id = 1`;
  if (Object.keys(settings).length > 0) {
    await sql`update public.bot_settings set ${
      sql(settings as Record<string, string | number | boolean>)
    } where id = 1`;
  }
  sim.market.setBalance("binance", "USDT", 10_000);
}

function invoker(stack: Stack) {
  return async (body: unknown, key: string | null = serverKey(stack)) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (key !== null) Object.assign(headers, keyHeaders(key));
    const res = await fetch(`${stack.gatewayUrl}/functions/v1/trade-burst`, {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
}

const num = (text: string | null) => Number(text);
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-8, `${what}: ${a} vs ${b} (diff ${a - b})`);

/**
 * Realized PnL of a long from fills, computed here independently of the bot's pnl.ts: exit proceeds less their quote
 * fees, less the entry outlay for the share of the coins that arrived (buy fees are charged in the base asset).
 */
function expectedPnl(
  entry: { qty: number; cost: number; baseFee: number },
  exit: { qty: number; cost: number; quoteFee: number },
) {
  const held = entry.qty - entry.baseFee;
  return exit.cost - exit.quoteFee - entry.cost * (exit.qty / held);
}

stackTest("trade-burst in paper mode runs with no keys and calls no private endpoint", {
  functions: ["trade-burst"],
  // No API keys at all: only the base URLs, so ccxt reads public market data from the simulator.
  functionEnv: { BINANCE_BASE_URL: sim.binance.baseUrl, OKX_BASE_URL: sim.okx.baseUrl, EXCHANGE_TIMEOUT_MS: "5000" },
}, async (t, stack) => {
  const invoke = invoker(stack);
  await withSql(stack.databaseUrl, async (sql) => {
    await t.step("an up-move opens a paper position that take profit closes, with PnL from paper fills", async () => {
      await reset(sql, "paper");
      const before = sim.requestLog.lastId();
      const startedAt = new Date();
      setPath("binance", ETH, [...rising(3000, 10), dipEth, { bid: 3012, ask: 3012.5 }]);
      const res = await invoke({ duration_ms: burstBudgetMs(ROUND_TRIP_TICKS), venues: ["binance"], symbols: [ETH] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.mode, "paper");

      const requests = sim.requestLog.list({ venue: "binance", afterId: before });
      assert.ok(requests.length > 0);
      assert.deepEqual(requests.filter((r) => r.private || r.signed).map((r) => r.path), [], "no private call");
      assert.ok(requests.every((r) => r.method === "GET"), "nothing but reads reached the venue");

      const rows = await orders(sql);
      assert.deepEqual(rows.map((o) => [o.purpose, o.side, o.type, o.order_status, o.mode]), [
        ["entry", "buy", "limit", "filled", "paper"],
        ["exit", "sell", "market", "filled", "paper"],
      ]);
      const [entry, exit] = rows;
      assert.equal(num(entry.average), num(entry.price), "a resting paper buy fills at its limit");
      assert.equal(num(exit.average), 3012, "a paper market sell fills at the bid");
      const [position] = await positions(sql);
      assert.equal(position.status, "closed");
      assert.equal(position.exit_reason, "take_profit");
      const pnl = expectedPnl(
        { qty: num(entry.filled), cost: num(entry.cost), baseFee: num(entry.fee_cost) },
        { qty: num(exit.filled), cost: num(exit.cost), quoteFee: num(exit.fee_cost) },
      );
      close(num(position.realized_pnl), pnl, "positions.realized_pnl");
      const [log] = await tradeLogs(sql);
      close(num(log.pnl), pnl, "trade_logs.pnl");
      assert.equal(log.order_id, exit.exchange_order_id);
      // The simulator's book never saw a paper order.
      assert.equal(sim.engines.binance.allOrders(binanceAccount).length, 0);

      // The dashboards' quote: the last one the burst read (the path's final point holds), written by the burst.
      const quotes = await sql`select venue, mode, symbol, bid::float8 as bid, ask::float8 as ask, source, ts
                               from public.market_quotes`;
      assert.deepEqual(
        quotes.map((q) => [q.venue, q.mode, q.symbol, q.bid, q.ask, q.source]),
        [["binance", "paper", ETH, 3012, 3012.5, "poll"]],
      );
      const [run] = await sql`select finished_at from public.function_runs where venue = 'binance'`;
      assert.ok(quotes[0].ts >= startedAt && quotes[0].ts <= run.finished_at, "stamped when the burst read it");
    });
  });
});

stackTest("trade-burst in testnet mode against the simulator", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim),
}, async (t, stack) => {
  const invoke = invoker(stack);
  /** Long enough for a round trip on a busy machine, and the one-second time stop after it. */
  const eth = { duration_ms: burstBudgetMs(ROUND_TRIP_TICKS, 1000), venues: ["binance"], symbols: [ETH] };

  await withSql(stack.databaseUrl, async (sql) => {
    await t.step("wrong callers and bad bodies are refused and write nothing", async () => {
      await reset(sql, "testnet");
      assert.equal((await invoke({}, null)).status, 401);
      assert.equal((await invoke({}, clientKey(stack))).status, 403);
      assert.equal((await invoke({}, stack.authenticatedKey)).status, 403);
      const tooLong = await invoke({ duration_ms: 600_000 });
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.body.issues[0].path, "duration_ms");
      const unknownKey = await invoke({ duration: 1000 });
      assert.equal(unknownKey.status, 400);
      assert.equal(unknownKey.body.issues[0].path, "duration");
      const notConfigured = await invoke({ symbols: ["DOGE/USDT"] });
      assert.equal(notConfigured.status, 400);
      assert.equal(notConfigured.body.issues[0].path, "symbols.0");
      const [{ count }] = await sql`select (select count(*) from public.function_runs) +
                                           (select count(*) from public.orders) as count`;
      assert.equal(Number(count), 0);
    });

    await t.step("live without both opt-ins is refused before any exchange call", async () => {
      await reset(sql, "testnet", { mode: "live", live_trading_enabled: true });
      const before = sim.requestLog.lastId();
      const res = await invoke({ duration_ms: 1000 });
      assert.equal(res.status, 403);
      assert.match(res.body.error, /ALLOW_LIVE_TRADING=true.*live_trading_enabled/);
      await sql`update public.bot_settings set live_trading_enabled = false where id = 1`;
      const res2 = await invoke({ duration_ms: 1000 });
      assert.equal(res2.status, 403, "the env opt-in is checked first");
      assert.equal(sim.requestLog.list({ afterId: before }).length, 0, "no request reached any venue");
      assert.equal((await orders(sql)).length, 0);
    });

    await t.step("an up-move opens a real entry order, take profit closes it, PnL equals the simulator's", async () => {
      await reset(sql, "testnet");
      const since = Date.now();
      setPath("binance", ETH, [...rising(3000, 10), dipEth, { bid: 3012, ask: 3012.5 }]);
      const res = await invoke(eth);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const venue = res.body.venues[0];
      assert.equal(venue.status, "ran");
      assert.equal(venue.positions_opened, 1);
      assert.equal(venue.positions_closed, 1);

      const rows = await orders(sql);
      assert.deepEqual(rows.map((o) => [o.purpose, o.type, o.order_status]), [
        ["entry", "limit", "filled"],
        ["exit", "market", "filled"],
      ]);
      const [entry, exit] = rows;
      // What the simulator itself filled, by our client order ids.
      const trades = sim.engines.binance.myTrades(binanceAccount, { symbol: ETH, since });
      const entryTrades = trades.filter((x) => x.clientOrderId === entry.client_order_id);
      const exitTrades = trades.filter((x) => x.clientOrderId === exit.client_order_id);
      assert.ok(entryTrades.length > 0 && exitTrades.length > 0);
      const sumOf = (list: typeof trades, f: (x: (typeof trades)[number]) => number) =>
        list.reduce((s, x) => s + f(x), 0);
      const simEntry = {
        qty: sumOf(entryTrades, (x) => x.amount),
        cost: sumOf(entryTrades, (x) => x.cost),
        baseFee: sumOf(entryTrades, (x) => x.fee),
      };
      const simExit = {
        qty: sumOf(exitTrades, (x) => x.amount),
        cost: sumOf(exitTrades, (x) => x.cost),
        quoteFee: sumOf(exitTrades, (x) => x.fee),
      };
      assert.ok(entryTrades.every((x) => x.feeAsset === "ETH") && exitTrades.every((x) => x.feeAsset === "USDT"));
      close(num(entry.filled), simEntry.qty, "entry filled");
      close(num(entry.fee_cost), simEntry.baseFee, "entry fee");
      assert.equal(entry.exchange_order_id, entryTrades[0].orderId);
      close(num(exit.filled), simExit.qty, "exit filled");
      close(num(exit.fee_cost), simExit.quoteFee, "exit fee");
      // The exit sold what arrived after the base-asset fee, floored to the 0.0001 lot step.
      close(num(exit.amount), Math.floor((simEntry.qty - simEntry.baseFee) / 0.0001) * 0.0001, "exit amount");

      const pnl = expectedPnl(simEntry, simExit);
      const [position] = await positions(sql);
      assert.equal(position.status, "closed");
      assert.equal(position.exit_reason, "take_profit");
      close(num(position.realized_pnl), pnl, "positions.realized_pnl");
      const [log] = await tradeLogs(sql);
      close(num(log.pnl), pnl, "trade_logs.pnl");
      close(num(log.size_usd), simEntry.cost, "trade_logs.size_usd");
      close(num(log.entry_px), simEntry.cost / simEntry.qty, "trade_logs.entry_px");
      close(num(log.exit_px), simExit.cost / simExit.qty, "trade_logs.exit_px");
      assert.equal(log.order_id, exit.exchange_order_id);
      assert.equal(log.order_status, "filled");
      assert.equal(log.position_id, position.id);

      const runs = await sql`select venue, outcome, lease_expires_at, summary from public.function_runs
                             order by started_at`;
      // The invocation's run row (all venues) and the venue's lease row, both finished ok with the summary.
      assert.deepEqual(runs.map((r) => `${r.venue ?? "all"}:${r.outcome}`).sort(), ["all:ok", "binance:ok"]);
      assert.ok(runs.every((r) => r.summary !== null));
    });

    await t.step("a down-move after the fill hits the stop loss", async () => {
      await reset(sql, "testnet");
      setPath("binance", ETH, [...rising(3000, 10), dipEth, { bid: 2990, ask: 2990.5 }]);
      const res = await invoke(eth);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const [position] = await positions(sql);
      assert.equal(position.status, "closed");
      assert.equal(position.exit_reason, "stop_loss");
      assert.ok(num(position.realized_pnl) < 0);
      const [, exit] = await orders(sql);
      assert.equal(num(exit.average), 2990);
    });

    await t.step("a flat market after the fill hits the time stop", async () => {
      await reset(sql, "testnet", { time_stop_seconds: 1 });
      setPath("binance", ETH, [...rising(3000, 10), dipEth]);
      const res = await invoke(eth);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const [position] = await positions(sql);
      assert.equal(position.status, "closed");
      assert.equal(position.exit_reason, "time_stop");
      assert.equal((await tradeLogs(sql)).length, 1);
    });

    await t.step("an entry that never fills is cancelled after the entry timeout", async () => {
      await reset(sql, "testnet", { entry_timeout_seconds: 1 });
      // Rising, then held below the top: the ask (3004.6) never comes down to the entry price again.
      setPath("binance", ETH, [...rising(3000, 6), { mid: 3001.6, spread: 6 }]);
      // Seven points, the one-second entry timeout, a tick to cancel.
      const res = await invoke({ ...eth, duration_ms: burstBudgetMs(8, 1000) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const [entry] = await orders(sql);
      assert.equal(entry.purpose, "entry");
      assert.equal(entry.order_status, "cancelled");
      assert.equal(num(entry.filled), 0);
      const simOrder = sim.engines.binance.getOrder(binanceAccount, { clientOrderId: entry.client_order_id });
      assert.equal(simOrder.status, "canceled", "cancelled at the venue too");
      const [position] = await positions(sql);
      assert.equal(position.status, "failed");
      assert.equal((await tradeLogs(sql)).length, 0);
    });

    await t.step("a partial fill yields a position of the filled size", async () => {
      await reset(sql, "testnet", { entry_timeout_seconds: 1 });
      setPath("binance", SOL, [
        ...rising(150, 5),
        { bid: 149.99, ask: 150 }, // one step at the entry price: 0.5 SOL of liquidity
        { mid: 150.1, spread: 0.3 }, // then away: the rest never fills
      ]);
      // Seven points, the one-second entry timeout, a tick to cancel.
      const res = await invoke({ duration_ms: burstBudgetMs(8, 1000), venues: ["binance"], symbols: [SOL] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const filledEntries = (await orders(sql)).filter((o) => o.purpose === "entry" && num(o.filled) > 0);
      assert.equal(filledEntries.length, 1, JSON.stringify(res.body.venues[0]));
      const [entry] = filledEntries;
      assert.equal(entry.order_status, "cancelled");
      assert.equal(num(entry.filled), 0.5);
      assert.ok(num(entry.amount) > 0.5);
      const simOrder = sim.engines.binance.getOrder(binanceAccount, { clientOrderId: entry.client_order_id });
      assert.equal(simOrder.filled, 0.5);
      assert.equal(simOrder.status, "canceled");
      const position = (await positions(sql)).find((p) => p.id === entry.position_id)!;
      assert.equal(num(position.entry_qty), 0.5);
      assert.notEqual(position.status, "failed");
    });

    const refusals: [string, Record<string, unknown>, string, () => Promise<void>][] = [
      ["trading_enabled = false", { trading_enabled: false }, "trading_disabled", async () => {}],
      ["the trade cap", { max_trades_per_day: 0 }, "daily_trade_cap", async () => {}],
      ["the daily loss limit", {}, "daily_loss_limit", async () => {
        await sql`insert into public.positions (venue, symbol, status, mode, entry_qty, entry_avg_px, exit_qty,
                    exit_avg_px, realized_pnl, exit_reason, opened_at, closed_at)
                  values ('okx', 'ETH/USDT', 'closed', 'testnet', 1, 3000, 1, 2940, -60, 'stop_loss',
                    now() - interval '1 minute', now())`;
      }],
      ["an insufficient balance", {}, "insufficient_balance", () => {
        sim.market.setBalance("binance", "USDT", 5);
        return Promise.resolve();
      }],
      [
        "a too-small order",
        {
          latency_bands: [
            { name: "aggressive", max_ms: 40, min_spread_pct: 0.03, size_usd: 4, throttle: 1 },
            { name: "normal", max_ms: 70, min_spread_pct: 0.05, size_usd: 4, throttle: 0.9 },
            { name: "cautious", max_ms: 85, min_spread_pct: 0.07, size_usd: 4, throttle: 0.7 },
            { name: "defensive", max_ms: null, min_spread_pct: 0.1, size_usd: 4, throttle: 0.5 },
          ],
        },
        "below_min_notional",
        async () => {},
      ],
    ];
    for (const [name, settings, reason, setup] of refusals) {
      await t.step(`${name} stops entries with the reason in the summary`, async () => {
        const { latency_bands, ...plain } = settings;
        await reset(sql, "testnet", plain);
        if (latency_bands) {
          await sql`update public.bot_settings set latency_bands = ${sql.json(latency_bands as never)} where id = 1`;
        }
        await setup();
        const before = sim.requestLog.lastId();
        setPath("binance", ETH, rising(3000, 10));
        const res = await invoke({ ...eth, duration_ms: burstBudgetMs(SIGNAL_TICKS) });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.ok(res.body.venues[0].refusals[reason] > 0, JSON.stringify(res.body.venues[0]));
        assert.equal(res.body.totals.refusals[reason], res.body.venues[0].refusals[reason]);
        assert.equal((await orders(sql)).length, 0, "no order recorded");
        const sent = sim.requestLog.list({ venue: "binance", afterId: before })
          .filter((r) => r.method === "POST" && r.path.includes("/order"));
        assert.equal(sent.length, 0, "no order reached the venue");
        const [run] = await sql`select summary from public.function_runs where venue is null`;
        assert.ok(run.summary.totals.refusals[reason] > 0, "the run log holds the summary");
      });
    }

    await t.step("a short signal on spot sends nothing", async () => {
      await reset(sql, "testnet");
      const before = sim.requestLog.lastId();
      setPath("binance", ETH, falling(3000, 10));
      const res = await invoke({ ...eth, duration_ms: burstBudgetMs(SIGNAL_TICKS) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.venues[0].signals.skipped.short_without_inventory > 0, JSON.stringify(res.body.venues[0]));
      assert.equal((await orders(sql)).length, 0);
      const sent = sim.requestLog.list({ venue: "binance", afterId: before })
        .filter((r) => r.method === "POST" && r.path.includes("/order"));
      assert.equal(sent.length, 0);
    });
  });
});
