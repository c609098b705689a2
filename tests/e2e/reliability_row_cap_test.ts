/**
 * The dashboards under PostgREST's row cap (issue 14): the local PostgREST answers at most 1000 rows (`max-rows`, the
 * hosted default), and a figure summed from a cut answer is wrong without any error. Seeded here as the service
 * role: 1 200 positions closed today (with their trade log rows) and 1 500 latency samples in the last hour, more
 * than one answer holds. Both dashboards, reading as a member's session, must show every one of them: today's
 * realized PnL and closed count (aggregated in SQL), the 30-day trades behind the chart and per-symbol figures, and
 * the hour of latency (paged). latency-sample's regional read of the same rows is paged too, and so is the list of
 * armed ids a burst's reconciliation settles.
 */
import assert from "node:assert/strict";
import { dashboardClient } from "../../dashboard/terminal/cli.ts";
import { render } from "../../dashboard/terminal/render.ts";
import { loadSnapshot } from "../../dashboard/terminal/snapshot.ts";
import { loadWebSnapshot } from "../../dashboard/web/src/data.ts";
import { performanceBySymbol } from "../../dashboard/shared/analytics.ts";
import { freshRegionSamples } from "../../supabase/functions/latency-sample/home_region_update.ts";
import type { Db } from "../../supabase/functions/_shared/db.ts";
import { SupabaseArmedOrderStore } from "../../supabase/functions/_shared/orders/supabase_armed_store.ts";
import { reportCounts } from "../support/reliability.ts";
import { withSql } from "../support/sql.ts";
import { gatewayClient, serverKey, stackTest } from "../support/stack.ts";
import { todaySeedClock } from "../support/today.ts";

const CLOSED_TODAY = 1200;
const SAMPLES = 1500;
/** Armed ids one venue's crashed bursts left behind. */
const ARMED_LEFT = 1100;
/** Each closed position made exactly this much: the sum is exact in decimal. */
const PNL_EACH = 0.01;

stackTest("dashboards read every row past PostgREST's 1000-row cap", { functions: false }, async (t, stack) => {
  const today = await todaySeedClock(CLOSED_TODAY * 1000);
  await withSql(stack.databaseUrl, async (sql) => {
    await sql`update public.bot_settings set mode = 'paper' where id = 1`;
    await sql`insert into public.members (user_id, role) values (${stack.authenticatedUserId}, 'viewer')`;
    const times = Array.from({ length: CLOSED_TODAY }, (_, i) => today.ago((i + 1) * 1000));
    await sql`
      with p as (
        insert into public.positions (venue, symbol, mode, status, entry_qty, entry_avg_px, exit_qty, exit_avg_px,
                                      realized_pnl, exit_reason, opened_at, closed_at, dust_qty, dust_cost_usd)
        select case when i % 2 = 0 then 'binance' else 'okx' end, 'ETH/USDT', 'paper', 'closed', 0.1, 3000, 0.1, 3001,
               ${PNL_EACH}, 'take_profit', t::timestamptz, t::timestamptz, 0, 0
          from unnest(${sql.array(times)}::text[]) with ordinality as x(t, i)
        returning id, venue, closed_at)
      insert into public.trade_logs (venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds, ts, order_id,
                                     order_status, position_id, fees_usd)
      select venue, 'ETH/USDT', 'long', 300, 3000, 3001, ${PNL_EACH}, 0, closed_at, null, 'filled', id, 0.001 from p`;
    await sql`
      insert into public.latency_logs (venue, latency_ms, success, ts, region)
      select 'binance', 20 + i % 7, true, now() - make_interval(secs => i), null
        from generate_series(1, ${SAMPLES}) as i
      union all
      select 'binance', 30 + i % 5, true, now() - make_interval(secs => i), 'ap-northeast-1'
        from generate_series(1, ${SAMPLES}) as i`;
  });
  const member = dashboardClient(stack.gatewayUrl, stack.publishableKey, undefined, stack.authenticatedKey);

  await t.step("the cap is real: a plain read of the closed positions gets 1000 rows", async () => {
    const plain = await member.from("positions").select("realized_pnl").eq("status", "closed");
    assert.equal(plain.error, null);
    assert.equal(plain.data?.length, 1000, "PostgREST runs with max-rows = 1000");
  });

  await t.step("terminal dashboard: today's realized PnL and closed count include every position", async () => {
    const snapshot = await loadSnapshot(member);
    assert.equal(snapshot.daily?.closedPositions, CLOSED_TODAY);
    assert.ok(Math.abs(snapshot.daily!.realizedPnl - CLOSED_TODAY * PNL_EACH) < 1e-9, `${snapshot.daily?.realizedPnl}`);
    assert.match(render(snapshot, new Date(snapshot.takenAt)), /^Daily PnL: \+12\.00 USDT/m);
  });

  await t.step("web dashboard: daily figures, 30 days of trades and an hour of latency, all rows", async () => {
    const snapshot = await loadWebSnapshot(member, new Date());
    assert.ok(Math.abs(snapshot.daily.realizedPnl - CLOSED_TODAY * PNL_EACH) < 1e-9, `${snapshot.daily.realizedPnl}`);
    assert.equal(snapshot.trades.length, CLOSED_TODAY, "every trade of the window is read");
    assert.equal(snapshot.tradesCapped, false);
    const perSymbol = performanceBySymbol(snapshot.trades);
    assert.equal(perSymbol.reduce((n, row) => n + row.trades, 0), CLOSED_TODAY);
    assert.ok(Math.abs(perSymbol.reduce((n, row) => n + row.pnl, 0) - 12) < 1e-9);
    assert.equal(new Set(snapshot.trades.map((t) => `${t.ts} ${t.venue}`)).size, CLOSED_TODAY, "no row read twice");
    assert.equal(snapshot.latency.length, 2 * SAMPLES, "every sample of the hour is read");
    const newest = snapshot.latency.at(-1)!;
    assert.ok(Date.now() - Date.parse(newest.ts) < 60_000, `the chart reaches now (newest ${newest.ts})`);
  });

  await t.step("latency-sample's regional read gets every fresh sample, not the first 1000", async () => {
    const service = gatewayClient(stack, serverKey(stack)) as unknown as Db;
    const samples = await freshRegionSamples(service, "binance", new Date(Date.now() - 3600_000));
    assert.equal(samples.length, SAMPLES);
  });

  await t.step("a burst's reconciliation lists every armed id left behind, not the first 1000", async () => {
    // Ids armed by bursts that crashed before retiring them, all at one instant (the order's tie is broken by id),
    // beside ids of another venue, another mode and fired ones, which the list must leave out.
    await withSql(stack.databaseUrl, async (sql) => {
      const arm = (prefix: string, count: number, venue: string, mode: string, status: string) =>
        sql`insert into public.armed_orders (client_order_id, venue, symbol, side, purpose, mode, status, armed_at,
                                             fired_at)
            select ${prefix}::text || i, ${venue}, 'ETH/USDT', 'buy', 'entry', ${mode}, ${status}, '2026-12-07T00:00:00Z',
                   case when ${status}::text = 'fired' then now() end
              from generate_series(1, ${count}) as i`;
      await arm("left", ARMED_LEFT, "binance", "testnet", "armed");
      await arm("fired", 50, "binance", "testnet", "fired");
      await arm("okx", 50, "okx", "testnet", "armed");
      await arm("live", 20, "binance", "live", "armed");
    });
    const service = gatewayClient(stack, serverKey(stack)) as unknown as Db;
    const listed = await new SupabaseArmedOrderStore(service).listArmed("binance", "testnet");
    assert.equal(listed.length, ARMED_LEFT);
    assert.equal(new Set(listed.map((row) => row.id)).size, ARMED_LEFT, "no row read twice");
    assert.ok(listed.every((row) => row.venue === "binance" && row.mode === "testnet" && row.status === "armed"));
    reportCounts("reliability_row_cap", "rows_past_max_rows", {
      faults_injected: 1,
      calls_refused: 0,
      orders_lost: 0,
      orders_doubled: 0,
    });
  });
});
