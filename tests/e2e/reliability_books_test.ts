/**
 * Reliability: the books hold up over what a venue leaves behind (issue 14).
 *
 * - Dust: a paper round trip on the shipped trade-burst whose entry fee came in ETH leaves less than one lot step in
 *   the wallet. The position records it (quantity, the outlay it carries, its value at the burst's bid with the time);
 *   balance-sync's paper balance is start + realized PnL − the dust's cost, the dust itself sits in `balances`, and
 *   both dashboards show it at market with USDT + dust = start + realized PnL + (dust at market − dust cost).
 * - Dead runs: a burst that died holding an okx lease and a balance-sync that died without finishing are finished as
 *   `abandoned` by the next start of a different function (here latency-sample), not left `running`.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import { dashboardClient } from "../../dashboard/terminal/cli.ts";
import { render } from "../../dashboard/terminal/render.ts";
import { loadSnapshot } from "../../dashboard/terminal/snapshot.ts";
import { loadWebSnapshot } from "../../dashboard/web/src/data.ts";
import { dustHtml } from "../../dashboard/web/src/view.ts";
import { assertClose, EXCHANGE_KEY_VARIABLES, paperOrderRows } from "../support/paper_scenarios.ts";
import {
  burstBudgetMs,
  entryThen,
  invokeBurst,
  reportCounts,
  resetTables,
  ROUND_TRIP_TICKS,
  setPath,
} from "../support/reliability.ts";
import { withSql } from "../support/sql.ts";
import { keyHeaders, serverKey, stackTest } from "../support/stack.ts";

const ETH = "ETH/USDT";
const START = 10_000;
const binance = defaultBinanceConfig();
binance.priceStepIntervalMs = 200;
const sim = await startSimulator({ seed: 23, config: { binance, okx: defaultOkxConfig() } });
globalThis.addEventListener("unload", () => void sim.stop());

const num = (text: string | null | undefined) => Number(text);

stackTest("reliability: dust is booked at market and dead runs of any function are finished", {
  functions: ["trade-burst", "balance-sync", "latency-sample"],
  functionEnv: {
    ...Object.fromEntries(EXCHANGE_KEY_VARIABLES.map((name) => [name, ""])),
    BINANCE_BASE_URL: sim.binance.baseUrl,
    OKX_BASE_URL: sim.okx.baseUrl,
    EXCHANGE_TIMEOUT_MS: "5000",
  },
}, async (t, stack) => {
  const call = async (name: string, body: unknown) => {
    const res = await fetch(`${stack.gatewayUrl}/functions/v1/${name}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...keyHeaders(serverKey(stack)) },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    assert.equal(res.status, 200, `${name}: ${JSON.stringify(json)}`);
    return json;
  };

  await withSql(stack.databaseUrl, async (sql) => {
    await sql`insert into public.members (user_id, role) values (${stack.authenticatedUserId}, 'viewer')`;

    await t.step(
      "a round trip's dust is valued at the burst's bid; the books add up to the cent and beyond",
      async () => {
        // 500 USDT at about 3000 buys a quantity whose 0.1 % fee (paid in ETH) leaves less than one 0.0001 lot.
        await resetTables(sql, { mode: "paper", paper_starting_usdt: START, max_order_usd: 500 });
        await sql`update public.exchange_connections set is_active = true`;
        setPath(sim, "binance", ETH, entryThen(3000, { bid: 3012, ask: 3012.5 }));
        const burst = await invokeBurst(stack.gatewayUrl, serverKey(stack), {
          duration_ms: burstBudgetMs(ROUND_TRIP_TICKS, 1000),
          venues: ["binance"],
          symbols: [ETH],
        });
        assert.equal(burst.status, 200, JSON.stringify(burst.body));
        const [entry, exit] = await paperOrderRows(sql);
        assert.deepEqual([entry?.purpose, entry?.order_status, exit?.purpose, exit?.order_status], [
          "entry",
          "filled",
          "exit",
          "filled",
        ]);
        assert.equal(entry.fee_currency, "ETH", "the entry's fee came in the base asset");
        // What the wallet kept, from the order rows alone.
        const expectedDust = num(entry.filled) - num(entry.fee_cost) - num(exit.filled);
        assert.ok(expectedDust > 1e-9 && expectedDust < 0.0001, `dust below one lot (${expectedDust})`);

        const [p] = await sql<Record<string, string | null>[]>`
        select status, realized_pnl::text, dust_qty::text, dust_cost_usd::text, dust_px::text, dust_price_source,
               dust_value_usd::text, dust_priced_at::text, closed_at::text from public.positions`;
        assert.equal(p.status, "closed");
        assertClose(num(p.dust_qty), expectedDust, "positions.dust_qty");
        assert.equal(p.dust_price_source, "bid", "valued at the burst's own quote");
        assertClose(num(p.dust_px), 3012, "at the bid of the tick that closed it");
        assert.ok(p.dust_priced_at !== null && Date.parse(p.dust_priced_at!) <= Date.parse(p.closed_at!) + 1);
        assertClose(num(p.dust_value_usd), expectedDust * 3012, "dust_value_usd = dust × bid");
        // The dust's share of the entry outlay (the fee was in ETH: the outlay is the cost).
        const held = num(entry.filled) - num(entry.fee_cost);
        assertClose(num(p.dust_cost_usd), num(entry.cost) * expectedDust / held, "dust_cost_usd");

        await call("balance-sync", { venues: ["binance"] });
        const [venue] = await sql<{ usdt: string; eth: string | null }[]>`
        select balance_usdt::text as usdt, (balances -> 'ETH' ->> 'total') as eth
          from public.exchange_connections where exchange_name = 'binance'`;
        const realized = num(p.realized_pnl);
        const dustCost = num(p.dust_cost_usd);
        const dustValue = num(p.dust_value_usd);
        assertClose(num(venue.usdt), START + realized - dustCost, "balance_usdt = start + realized − dust at cost");
        assertClose(num(venue.eth), expectedDust, "the ledger holds the dust");

        const member = dashboardClient(stack.gatewayUrl, stack.publishableKey, undefined, stack.authenticatedKey);
        const snapshot = await loadSnapshot(member);
        const [row] = snapshot.dust ?? [];
        assert.equal(row?.venue, "binance");
        assertClose(row.dust_value_usd, dustValue, "the dashboard's dust value");
        const books = START + realized + (dustValue - dustCost);
        const text = render(snapshot, new Date(snapshot.takenAt));
        const line = text.split("\n").find((l) => l.startsWith("dust binance: "));
        assert.ok(line, `a dust line:\n${text}`);
        assert.match(line!, / ETH ≈ \d+\.\d\d USDT at 3012\.00 \(\d\d:\d\d UTC\)/);
        const shown = Number(/USDT \+ dust at market: (\d+\.\d\d)$/.exec(line!)?.[1]);
        assertClose(shown, Math.round(books * 100) / 100, "USDT + dust = start + realized + dust mark", 0.005);
        const web = await loadWebSnapshot(member, new Date());
        assert.match(dustHtml(web), /<b>binance<\/b> dust: [\d.]+ ETH ≈ [\d.]+ USDT at 3,012\.00/);
        const total = Number(/USDT \+ dust at market: <span data-value="([\d.]+)"/.exec(dustHtml(web))?.[1]);
        assertClose(total, books, "the web page's USDT + dust at market");
      },
    );

    await t.step("dead runs of other functions are finished by latency-sample's start", async () => {
      await sql`delete from public.function_runs`;
      await sql`
        insert into public.function_runs (function_name, venue, started_at, lease_expires_at, outcome)
        values ('trade-burst', 'okx', now() - interval '2 hours', now() - interval '2 hours' + interval '75 seconds',
                'running')`;
      await sql`
        insert into public.function_runs (function_name, started_at, outcome)
        values ('balance-sync', now() - interval '1 hour', 'running')`;
      await call("latency-sample", {});
      const runs = await sql<{ function_name: string; outcome: string; error: string | null }[]>`
        select function_name, outcome, error from public.function_runs order by started_at`;
      assert.deepEqual(runs.slice(0, 2).map((r) => [r.function_name, r.outcome]), [
        ["trade-burst", "abandoned"],
        ["balance-sync", "abandoned"],
      ]);
      assert.equal(runs[0].error, "lease expired");
      assert.match(runs[1].error ?? "", /expired: no finish recorded/);
      assert.equal(runs.at(-1)?.function_name, "latency-sample");
      reportCounts("reliability_books", "dust_and_dead_runs", {
        faults_injected: 3,
        calls_refused: 0,
        orders_lost: 0,
        orders_doubled: 0,
      });
    });
  });
});
