/**
 * The terminal dashboard against a real stack: the service role writes rows for both venues (one fresh, one stale),
 * a closed round trip with its orders and trade log, an open position, a pending order and function runs; then
 * `scripts/dashboard.ts --once` runs as a user would run it, with a signed-in user's key, and its text is checked.
 */

import assert from "node:assert/strict";
import type { SupabaseClient } from "@supabase/supabase-js";
import { REPO_ROOT } from "../../dev/stack/commands.ts";
import { dashboardClient, NOT_A_MEMBER } from "../../dashboard/terminal/cli.ts";
import { render } from "../../dashboard/terminal/render.ts";
import { loadSnapshot } from "../../dashboard/terminal/snapshot.ts";
import { clientKey, gatewayClient, serverKey, type Stack, withStack } from "../support/stack.ts";
import { withSql } from "../support/sql.ts";
import { todaySeedClock } from "../support/today.ts";

const DENO = `${REPO_ROOT}/node_modules/.bin/deno`;

function ago(ms: number): string {
  return new Date(Date.now() - ms).toISOString();
}

async function must<T>(what: string, query: PromiseLike<{ data: T; error: unknown }>): Promise<T> {
  const { data, error } = await query;
  assert.equal(error, null, `${what}: ${JSON.stringify(error)}`);
  return data;
}

async function populate(service: SupabaseClient): Promise<void> {
  // Positions, orders and the trade log feed "today" figures: their times stay inside today's UTC day.
  const today = await todaySeedClock(600_000);
  await must(
    "settings",
    service.from("bot_settings").update({ max_trades_per_day: 120, max_daily_loss_usd: 75, max_open_positions: 3 })
      .eq("id", 1).select("id"),
  );
  await must(
    "binance row",
    service.from("exchange_connections").update({
      balance_usdt: 10250.5,
      balance_usdt_free: 9650.5,
      balance_usdt_used: 600,
      balance_status: "ok",
      balance_source: "paper",
      last_balance_update: ago(20_000),
      last_balance_attempt: ago(20_000),
      latency_last_ms: 21,
      latency_avg_ms: 24.4,
      latency_max_ms: 61,
      latency_band: "aggressive",
      latency_updated_at: ago(5_000),
    }).eq("exchange_name", "binance").select("id"),
  );
  await must(
    "okx row (stale)",
    service.from("exchange_connections").update({
      balance_usdt: 4000,
      balance_usdt_free: 4000,
      balance_status: "stale",
      balance_source: "exchange",
      last_balance_update: ago(3 * 3600_000 + 60_000),
      last_balance_attempt: ago(60_000),
      last_error: "RequestTimeout: okx fetchBalance timed out after 10000 ms",
      latency_last_ms: 140,
      latency_avg_ms: 118,
      latency_max_ms: 900,
      latency_band: "defensive",
      latency_updated_at: ago(8_000),
    }).eq("exchange_name", "okx").select("id"),
  );

  // A closed round trip on binance, from its two filled orders to the trade log row.
  const [closed] = await must(
    "closed position",
    service.from("positions").insert({
      venue: "binance",
      symbol: "BTC/USDT",
      status: "closed",
      mode: "paper",
      entry_qty: 0.01,
      entry_avg_px: 60000,
      entry_fees_usd: 0.6,
      exit_qty: 0.01,
      exit_avg_px: 60300,
      exit_fees_usd: 0.603,
      realized_pnl: 1.797,
      exit_reason: "take_profit",
      opened_at: today.ago(600_000),
      closed_at: today.ago(480_000),
    }).select("id"),
  ) as { id: string }[];
  await must(
    "closed position orders",
    service.from("orders").insert([
      {
        client_order_id: "e2e-bn-entry-1",
        exchange_order_id: "BN-E2E-1001",
        venue: "binance",
        symbol: "BTC/USDT",
        side: "buy",
        type: "limit",
        price: 60000,
        amount: 0.01,
        filled: 0.01,
        remaining: 0,
        average: 60000,
        order_status: "filled",
        purpose: "entry",
        position_id: closed.id,
        mode: "paper",
        closed_at: today.ago(590_000),
      },
      {
        client_order_id: "e2e-bn-exit-1",
        exchange_order_id: "BN-E2E-1002",
        venue: "binance",
        symbol: "BTC/USDT",
        side: "sell",
        type: "limit",
        price: 60300,
        amount: 0.01,
        filled: 0.01,
        remaining: 0,
        average: 60300,
        order_status: "filled",
        purpose: "exit",
        position_id: closed.id,
        mode: "paper",
        closed_at: today.ago(480_000),
      },
    ]).select("id"),
  );
  await must(
    "trade log",
    service.from("trade_logs").insert({
      ts: today.ago(480_000),
      venue: "binance",
      symbol: "BTC/USDT",
      side: "long",
      size_usd: 600,
      entry_px: 60000,
      exit_px: 60300,
      pnl: 1.797,
      dur_seconds: 120,
      order_id: "BN-E2E-1001",
      order_status: "filled",
      position_id: closed.id,
      fees_usd: 1.203,
    }).select("id"),
  );

  // An open position on okx (its exits are the bursts': OKX holds no protection) with its filled entry and a fresh
  // quote, and a pending entry order there.
  const [openEth] = await must(
    "open position",
    service.from("positions").insert({
      venue: "okx",
      symbol: "ETH/USDT",
      status: "open",
      mode: "paper",
      entry_qty: 0.2,
      entry_avg_px: 3000.5,
      entry_fees_usd: 0.48008,
      opened_at: today.ago(45_000),
    }).select("id"),
  ) as { id: string }[];
  // A protected open position on binance (take profit and stop resting) whose latest quote is five minutes old.
  const [openBtc] = await must(
    "protected open position",
    service.from("positions").insert({
      venue: "binance",
      symbol: "BTC/USDT",
      status: "open",
      mode: "paper",
      entry_qty: 0.01,
      entry_avg_px: 60000,
      entry_fees_usd: 0.6,
      opened_at: today.ago(300_000),
    }).select("id"),
  ) as { id: string }[];
  const filledEntry = { side: "buy", type: "limit", order_status: "filled", purpose: "entry", mode: "paper" } as const;
  await must(
    "open positions' orders",
    service.from("orders").insert([
      {
        ...filledEntry,
        client_order_id: "e2e-okx-entry-3",
        venue: "okx",
        symbol: "ETH/USDT",
        price: 3000.5,
        amount: 0.2,
        filled: 0.2,
        remaining: 0,
        average: 3000.5,
        cost: 600.1,
        fee_cost: 0.48008,
        fee_currency: "USDT",
        position_id: openEth.id,
      },
      {
        ...filledEntry,
        client_order_id: "e2e-bn-entry-4",
        venue: "binance",
        symbol: "BTC/USDT",
        price: 60000,
        amount: 0.01,
        filled: 0.01,
        remaining: 0,
        average: 60000,
        cost: 600,
        fee_cost: 0.00001,
        fee_currency: "BTC",
        position_id: openBtc.id,
      },
      {
        client_order_id: "e2e-bn-tp-4",
        venue: "binance",
        symbol: "BTC/USDT",
        side: "sell",
        type: "limit",
        price: 60120,
        amount: 0.00999,
        order_status: "open",
        purpose: "take_profit",
        mode: "paper",
        position_id: openBtc.id,
        list_client_id: "e2e-list-4",
      },
      {
        client_order_id: "e2e-bn-sl-4",
        venue: "binance",
        symbol: "BTC/USDT",
        side: "sell",
        type: "stop",
        price: 59580,
        trigger_price: 59880,
        amount: 0.00999,
        order_status: "open",
        purpose: "stop_loss",
        mode: "paper",
        position_id: openBtc.id,
        list_client_id: "e2e-list-4",
      },
      // Rows with different columns: each missing column takes its default, not null.
    ], { defaultToNull: false }).select("id"),
  );
  await must(
    "quotes",
    service.from("market_quotes").insert([
      { venue: "okx", mode: "paper", symbol: "ETH/USDT", bid: 3012.25, ask: 3012.5, ts: ago(10_000), source: "poll" },
      {
        venue: "binance",
        mode: "paper",
        symbol: "BTC/USDT",
        bid: 60010,
        ask: 60010.5,
        ts: ago(300_000),
        source: "stream",
      },
    ]).select("venue"),
  );
  await must(
    "pending order",
    service.from("orders").insert({
      client_order_id: "e2e-okx-entry-2",
      exchange_order_id: "OKX-E2E-77",
      venue: "okx",
      symbol: "SOL/USDT",
      side: "buy",
      type: "limit",
      price: 150.25,
      amount: 2,
      filled: 0,
      order_status: "open",
      purpose: "entry",
      mode: "paper",
    }).select("id"),
  );

  await must(
    "function runs",
    service.from("function_runs").insert([
      {
        function_name: "balance-sync",
        started_at: ago(62_000),
        finished_at: ago(60_000),
        outcome: "partial",
        duration_ms: 2000,
        error: "okx: RequestTimeout",
      },
      {
        function_name: "latency-sample",
        started_at: ago(30_000),
        finished_at: ago(29_000),
        outcome: "error",
        duration_ms: 1000,
        error: "latency-sample exploded on purpose",
      },
    ]).select("id"),
  );
}

async function runDashboardScript(
  stack: Stack,
  key: string,
  token?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(DENO, {
    args: [
      "run",
      "-A",
      `${REPO_ROOT}/scripts/dashboard.ts`,
      "--once",
      "--url",
      stack.gatewayUrl,
      "--key",
      key,
      ...(token ? ["--token", token] : []),
    ],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // The command must not pick these up from the environment: the flags are what is tested.
    env: { SUPABASE_URL: "", SUPABASE_KEY: "", SUPABASE_ACCESS_TOKEN: "" },
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** The cells of the one line that starts with `first` (columns are separated by two or more spaces). */
function row(text: string, first: RegExp): string[] {
  const lines = text.split("\n").filter((line) => first.test(line.trimStart()));
  assert.equal(lines.length, 1, `exactly one line matches ${first} in:\n${text}`);
  return lines[0].trim().split(/\s{2,}/);
}

Deno.test("terminal dashboard renders a populated stack for a member's session", async (t) => {
  await withStack({ functions: false }, async (stack) => {
    await populate(gatewayClient(stack, serverKey(stack)));

    await t.step("a signed-in user who is not a member sees none of the data, and is told why", async () => {
      const { code, stdout } = await runDashboardScript(stack, stack.publishableKey, stack.authenticatedKey);
      assert.equal(code, 1);
      assert.equal(stdout, NOT_A_MEMBER);
    });

    await withSql(
      stack.databaseUrl,
      (sql) => sql`insert into public.members (user_id, role) values (${stack.authenticatedUserId}, 'viewer')`,
    );
    const member = stack.authenticatedKey;

    await t.step("`scripts/dashboard.ts --once` as a member's session prints every section", async () => {
      const { code, stdout, stderr } = await runDashboardScript(stack, stack.publishableKey, member);
      assert.equal(code, 0, stderr);
      const text = stdout;
      if (Deno.env.get("SHOW_DASHBOARD")) console.log(text);
      assert.match(
        text,
        /^Latency-adaptive scalper — \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \| mode paper \| trading ON/,
      );

      const binance = row(text, /^binance /);
      assert.deepEqual(binance.slice(0, 9), [
        "binance",
        "21ms",
        "24ms",
        "61ms",
        "aggressive",
        "10250.50",
        "9650.50",
        "paper",
        "ok",
      ]);
      assert.match(binance[9], /^\d+s$/, "a fresh balance shows its age in seconds");
      const okx = row(text, /^okx /);
      assert.deepEqual(okx.slice(0, 9), [
        "okx",
        "140ms",
        "118ms",
        "900ms",
        "defensive",
        "4000.00",
        "4000.00",
        "exchange",
        "STALE",
      ]);
      assert.equal(okx[9], "3h");
      assert.match(okx[10], /^RequestTimeout: okx fetchBalance timed out/);

      // Today: the closed position made +1.80 and four entries were sent today (three filled, one pending).
      assert.match(
        text,
        /^Daily PnL: \+1\.80 USDT \(max loss 75\.00\) \| Trades: 4\/120 \| Open positions: 2\/3 \| since \d{4}-\d\d-\d\d 00:00 UTC$/m,
      );
      // Unrealized PnL from the tables, computed here: the entry's coins at the recorded bid less a 0.1 % taker fee,
      // less what the entry cost and its fee.
      const [eth] = await withSql(
        stack.databaseUrl,
        (sql) =>
          sql`select o.filled::float8 as qty, o.cost::float8 as cost, o.fee_cost::float8 as fee, q.bid::float8 as bid
            from public.orders o join public.market_quotes q on q.venue = o.venue and q.symbol = o.symbol
              and q.mode = o.mode
            where o.client_order_id = 'e2e-okx-entry-3'`,
      );
      const upnl = eth.qty * eth.bid * (1 - 0.001) - eth.cost - eth.fee;
      const open = row(text, /^\d+[smh] ago\s+okx\s+ETH\/USDT/);
      assert.deepEqual(open.slice(1), [
        "okx",
        "ETH/USDT",
        "open",
        "0.2",
        "3000.50",
        "3012.25",
        open[7],
        `+${upnl.toFixed(2)}`,
        "MISSING on the venue",
        "paper",
      ]);
      assert.match(open[7], /^\d+s$/, "a fresh quote shows its age, not STALE");
      assert.equal(upnl.toFixed(2), "1.27");
      const btc = row(text, /^\d+[smh] ago\s+binance\s+BTC\/USDT\s+open/);
      assert.deepEqual(btc.slice(1), [
        "binance",
        "BTC/USDT",
        "open",
        "0.01",
        "60000.00",
        "60010.00",
        "5m STALE",
        "(stale)",
        "protected TP 60120.00 / stop 59880.00",
        "paper",
      ]);

      const trade = row(text, /^\d\d:\d\d:\d\d\s+binance\s+BTC\/USDT\s+long/);
      assert.deepEqual(trade.slice(1), [
        "binance",
        "BTC/USDT",
        "long",
        "600.00",
        "60000.00",
        "60300.00",
        "+1.80",
        "1.2030",
        "120.0",
        "BN-E2E-1001",
        "filled",
        "take_profit",
      ]);

      const pending = row(text, /^\d+[smh] ago\s+okx\s+SOL\/USDT/);
      assert.deepEqual(pending.slice(1), [
        "okx",
        "SOL/USDT",
        "buy",
        "limit",
        "entry",
        "150.25",
        "2",
        "0",
        "open",
        "e2e-okx-entry-2",
        "OKX-E2E-77",
      ]);
      assert.doesNotMatch(text, /e2e-bn-(entry|exit)-1/, "filled orders are not pending");

      assert.deepEqual(row(text, /^\S+ \(\d+[smh] ago\)\s+latency-sample/).slice(1), [
        "latency-sample",
        "all",
        "error",
        "1000ms",
        "latency-sample exploded on purpose",
      ]);
      assert.deepEqual(row(text, /^\S+ \(\d+[smh] ago\)\s+balance-sync/).slice(1), [
        "balance-sync",
        "all",
        "partial",
        "2000ms",
        "okx: RequestTimeout",
      ]);

      const notes = text.split("\n").filter((line) => line.startsWith("  ! "));
      assert.deepEqual(notes.map((note) => note.replace(/\d+[smh] ago/, "N ago")), [
        "  ! okx balance STALE (last good sync N ago): RequestTimeout: okx fetchBalance timed out after 10000 ms",
        "  ! okx ETH/USDT: MISSING on the venue (the next burst of okx repairs it)",
        "  ! binance BTC/USDT: quote is 5m old (stale): is trade-burst running?",
        "  ! latency-sample error N ago: latency-sample exploded on purpose",
      ]);
    });

    await t.step("the library path renders the same data the command printed", async () => {
      const snapshot = await loadSnapshot(
        dashboardClient(stack.gatewayUrl, stack.publishableKey, undefined, stack.authenticatedKey),
      );
      assert.equal(snapshot.venues.length, 2);
      assert.equal(snapshot.recentTrades[0].position?.exit_reason, "take_profit");
      assert.deepEqual(snapshot.daily && { entries: snapshot.daily.entries, pnl: snapshot.daily.realizedPnl }, {
        entries: 4,
        pnl: 1.797,
      });
      assert.match(render(snapshot, new Date(snapshot.takenAt)), /BN-E2E-1001/);
    });

    await t.step("the anon key reads nothing: the command says so and exits 1", async () => {
      const { code, stdout } = await runDashboardScript(stack, clientKey(stack));
      assert.equal(code, 1);
      assert.match(stdout, /^dashboard: cannot read bot_settings: 42501: permission denied/);
    });
  });
});
