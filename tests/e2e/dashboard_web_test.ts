/**
 * The web dashboard in a real headless Chromium against a real local stack (Postgres, PostgREST, gateway) with
 * trade-burst running against the exchange simulator. The page is the built bundle, served as `deno task
 * dashboard:web` serves it, configured with the anon (publishable) key only; users are JWTs minted with the stack's
 * secret, handed to the page as the demo does (`#session=`), since the local stack has no Auth server.
 *
 * Checked: balances, open positions and closed trades on the page equal the tables; the PnL chart draws; an operator's
 * Stop flips the switch, writes the audit row and the next burst refuses entries; a viewer cannot stop; a non-member
 * and the anon key get no rows; no secret reaches the browser; wrong URL, wrong key and expired session each give a
 * plain message. Screenshots at desktop and phone widths go to .local/dashboard-web-test/.
 */

import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import { REPO_ROOT } from "../../dev/stack/commands.ts";
import { mintJwt } from "../../dev/stack/keys.ts";
import { buildDashboard } from "../../dashboard/web/build.ts";
import { serveDashboard, type WebServer } from "../../dashboard/web/serve.ts";
import { launchChromium } from "../support/browser.ts";
import { todaySeedClock } from "../support/today.ts";
import { simulatorEnv } from "../support/sim_env.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { type Stack, stackTest } from "../support/stack.ts";

// Prices step every 200 ms, so a short burst sees enough of a scripted path for the momentum signal.
const binanceConfig = defaultBinanceConfig();
binanceConfig.priceStepIntervalMs = 200;
const sim = await startSimulator({ seed: 11, config: { binance: binanceConfig, okx: defaultOkxConfig() } });
globalThis.addEventListener("unload", () => void sim.stop());

const SHOTS = `${REPO_ROOT}/.local/dashboard-web-test`;
const OPERATOR = "00000000-0000-4000-8000-0000000000a1";
const VIEWER = "00000000-0000-4000-8000-0000000000b2";
const STRANGER = "00000000-0000-4000-8000-0000000000c3";
/** A seeded user of the stack's Auth stand-in (a test fixture, not a secret). */
const OPERATOR_LOGIN = { id: OPERATOR, email: "operator@example.test", password: "local-stack-fixture-password" };

function userToken(stack: Stack, sub: string, email: string, expiresAt?: Date): Promise<string> {
  return mintJwt(stack.jwtSecret, { iss: "supabase", role: "authenticated", aud: "authenticated", sub, email }, {
    expiresAt,
  });
}

/** Two venues, closed trades over two UTC days, an open position with a working exit, runs. */
async function seed(sql: Sql): Promise<void> {
  // Each closed position opened two minutes before it closed; the oldest of today's must still open today.
  const { ago, beforeToday } = await todaySeedClock(3600_000 + 120_000);
  const today = (ms: number) => ({ opened: ago(ms + 120_000), at: ago(ms) });
  const yesterday = (ms: number) => ({ opened: beforeToday(ms + 120_000), at: beforeToday(ms) });
  await sql`insert into public.members (user_id, role) values (${OPERATOR}, 'operator'), (${VIEWER}, 'viewer')`;
  await sql`update public.bot_settings set mode = 'paper', trading_enabled = true, max_trades_per_day = 40,
            max_daily_loss_usd = 25, max_open_positions = 3, burst_tick_ms = 100 where id = 1`;
  await sql`update public.exchange_connections set balance_usdt = 10250.5, balance_usdt_free = 9650.5,
            balance_usdt_used = 600, balance_status = 'ok', balance_source = 'paper', last_balance_update = now(),
            latency_last_ms = 21, latency_avg_ms = 24.4, latency_band = 'aggressive', latency_updated_at = now()
            where exchange_name = 'binance'`;
  await sql`update public.exchange_connections set balance_usdt = 4000.25, balance_usdt_free = 3999.75,
            balance_usdt_used = 0.5, balance_status = 'stale', balance_source = 'exchange',
            last_balance_update = now() - interval '3 hours', last_error = 'RequestTimeout: okx fetchBalance timed out',
            latency_last_ms = 140, latency_avg_ms = 118, latency_band = 'defensive', latency_updated_at = now()
            where exchange_name = 'okx'`;
  // The latency chart shows the last hour, not today: its samples keep their minutes apart. Shrunk into today (`ago`)
  // just after midnight, they fell within one second, which the chart draws as one point per venue.
  for (let i = 0; i < 12; i++) {
    const at = new Date(Date.now() - (12 - i) * 60_000).toISOString();
    await sql`insert into public.latency_logs (venue, latency_ms, success, ts) values
              ('binance', ${20 + i}, true, ${at}), ('okx', ${110 + 3 * i}, true, ${at})`;
  }
  const trades = [
    { venue: "binance", symbol: "BTC/USDT", pnl: 1.797, fees: 1.203, ...yesterday(2 * 3600_000), id: "BN-W-1" },
    { venue: "binance", symbol: "BTC/USDT", pnl: -0.85, fees: 1.2, ...yesterday(3600_000), id: "BN-W-2" },
    { venue: "okx", symbol: "ETH/USDT", pnl: 0.42, fees: 0.96, ...today(3600_000), id: "OKX-W-3" },
    { venue: "binance", symbol: "SOL/USDT", pnl: -0.3, fees: 0.48, ...today(1800_000), id: "BN-W-4" },
    { venue: "okx", symbol: "ETH/USDT", pnl: 2.05, fees: 0.97, ...today(600_000), id: "OKX-W-5" },
  ];
  for (const t of trades) {
    const [position] = await sql`insert into public.positions (venue, symbol, status, mode, entry_qty, entry_avg_px,
        exit_qty, exit_avg_px, realized_pnl, exit_reason, opened_at, closed_at)
      values (${t.venue}, ${t.symbol}, 'closed', 'paper', 0.01, 60000, 0.01, 60100, ${t.pnl}, 'take_profit',
        ${t.opened}, ${t.at}) returning id`;
    await sql`insert into public.trade_logs (ts, venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds,
        order_id, order_status, position_id, fees_usd)
      values (${t.at}, ${t.venue}, ${t.symbol}, 'long', 600, 60000, 60100, ${t.pnl}, 120, ${t.id}, 'filled',
        ${position.id}, ${t.fees})`;
  }
  const [open] =
    await sql`insert into public.positions (venue, symbol, status, mode, entry_qty, entry_avg_px, entry_fees_usd,
      opened_at)
    values ('okx', 'ETH/USDT', 'open', 'paper', 0.2, 3000.5, 0.48008, ${ago(45_000)}) returning id`;
  await sql`insert into public.orders (client_order_id, exchange_order_id, venue, symbol, side, type, price, amount,
      filled, average, cost, fee_cost, fee_currency, order_status, purpose, mode, position_id)
    values ('w-okx-entry-1', 'OKX-76', 'okx', 'ETH/USDT', 'buy', 'limit', 3000.5, 0.2, 0.2, 3000.5, 600.1, 0.48008,
      'USDT', 'filled', 'entry', 'paper', ${open.id})`;
  await sql`insert into public.orders (client_order_id, exchange_order_id, venue, symbol, side, type, price, amount,
      filled, order_status, purpose, mode, position_id)
    values ('w-okx-exit-1', 'OKX-77', 'okx', 'ETH/USDT', 'sell', 'limit', 3006.5, 0.2, 0, 'open', 'exit', 'paper',
      ${open.id})`;
  // A protected position (take profit and stop resting on binance) whose latest quote is five minutes old. In testnet
  // mode, so the paper bursts of this test leave it alone (a burst manages its own mode's positions only).
  const [guarded] =
    await sql`insert into public.positions (venue, symbol, status, mode, entry_qty, entry_avg_px, entry_fees_usd,
      opened_at)
    values ('binance', 'BTC/USDT', 'open', 'testnet', 0.01, 60000, 0.6, ${ago(300_000)}) returning id`;
  await sql`insert into public.orders (client_order_id, exchange_order_id, venue, symbol, side, type, price,
      trigger_price, amount, filled, average, cost, fee_cost, fee_currency, order_status, purpose, mode, position_id,
      list_client_id)
    values
      ('w-bn-entry-2', 'BN-80', 'binance', 'BTC/USDT', 'buy', 'limit', 60000, null, 0.01, 0.01, 60000, 600, 0.00001,
        'BTC', 'filled', 'entry', 'testnet', ${guarded.id}, null),
      ('w-bn-tp-2', 'BN-81', 'binance', 'BTC/USDT', 'sell', 'limit', 60120, null, 0.00999, 0, null, 0, null, null,
        'open', 'take_profit', 'testnet', ${guarded.id}, 'w-list-2'),
      ('w-bn-sl-2', 'BN-82', 'binance', 'BTC/USDT', 'sell', 'stop', 59580, 59880, 0.00999, 0, null, 0, null, null,
        'open', 'stop_loss', 'testnet', ${guarded.id}, 'w-list-2')`;
  // What trade-burst writes: a fresh okx quote; the binance one has aged past the two minutes.
  await sql`insert into public.market_quotes (venue, mode, symbol, bid, ask, ts, source) values
    ('okx', 'paper', 'ETH/USDT', 3012.25, 3012.5, now() - interval '10 seconds', 'poll'),
    ('binance', 'testnet', 'BTC/USDT', 60010, 60010.5, now() - interval '5 minutes', 'stream')`;
  await sql`insert into public.function_runs (function_name, started_at, finished_at, outcome, duration_ms, error)
    values ('balance-sync', now() - interval '62 seconds', now() - interval '60 seconds', 'partial', 2000,
      'okx: RequestTimeout')`;
}

/** Every response a page saw, with its body text (for the no-secret and no-row checks). */
class NetworkLog {
  readonly entries: { url: string; status: number; body: Promise<string> }[] = [];
  constructor(page: Page) {
    page.on("response", (response: Response) => {
      this.entries.push({
        url: response.url(),
        status: response.status(),
        body: response.body().then((b) => new TextDecoder().decode(b)).catch(() => ""),
      });
    });
  }
  rest(): { url: string; status: number; body: Promise<string> }[] {
    return this.entries.filter((e) => e.url.includes("/rest/v1/"));
  }
}

async function openAs(browser: Browser, url: string, width = 1280, height = 900) {
  const context: BrowserContext = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  const log = new NetworkLog(page);
  await page.goto(url);
  return { context, page, log, errors };
}

/** Waits for the dashboard (or a message) to render; on a timeout the error carries what the page shows. */
async function waitFor(page: Page, selector: string): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout: 30_000 });
  } catch (error) {
    const shown = await page.textContent("body").catch(() => "(no page)");
    throw new Error(`${selector} did not appear; the page shows: ${shown?.replace(/\s+/g, " ").slice(0, 600)}`, {
      cause: error,
    });
  }
}

/** A cell's raw value (data-value) per row key, for one table column. */
async function columnValues(page: Page, table: string, rowAttr: string, column: number): Promise<Map<string, number>> {
  const pairs = await page.$$eval(
    `#${table} tbody tr`,
    (rows, args) =>
      rows.map((row) => [
        row.getAttribute(args.rowAttr) ?? "",
        row.querySelectorAll("td")[args.column]?.getAttribute("data-value") ?? "",
      ]),
    { rowAttr, column },
  );
  return new Map(pairs.map(([key, value]) => [key, Number(value)]));
}

/**
 * Counts canvas pixels that are opaque and dark or saturated (the line #2c3e50, the green/red bars, the venue colours),
 * across the chart's canvases. In the page's own JavaScript, as a string: this file is type-checked without the DOM.
 */
async function inkedPixels(page: Page, selector: string): Promise<number> {
  return await page.evaluate(`(() => {
    let inked = 0;
    for (const canvas of document.querySelector(${JSON.stringify(selector)}).querySelectorAll("canvas")) {
      const context = canvas.getContext("2d");
      if (!context || canvas.width === 0 || canvas.height === 0) continue;
      const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) {
        const r = data[i], g = data[i + 1], b = data[i + 2], a = data[i + 3];
        if (a > 200 && (Math.max(r, g, b) - Math.min(r, g, b) > 60 || Math.max(r, g, b) < 100)) inked++;
      }
    }
    return inked;
  })()`) as number;
}

/** Sets document.hidden and fires visibilitychange, as a browser does when the tab goes to the background. */
function setHidden(page: Page, hidden: boolean): Promise<unknown> {
  return page.evaluate(`(() => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => ${hidden} });
    document.dispatchEvent(new Event("visibilitychange"));
  })()`);
}

stackTest("web dashboard in headless Chromium", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim),
  // A project created today: publishable and secret keys only, legacy JWT keys disabled.
  keyMode: "new-only",
  authUsers: [OPERATOR_LOGIN],
}, async (t, stack) => {
  await Deno.mkdir(SHOTS, { recursive: true });
  const dir = await Deno.makeTempDir({ prefix: "dashboard-web-" });
  await buildDashboard(dir);
  const config = { supabaseUrl: stack.gatewayUrl, publishableKey: stack.publishableKey, refreshSeconds: 5 };
  const servers: WebServer[] = [serveDashboard({ dir, config })];
  const site = servers[0].url;
  const browser = await launchChromium();
  try {
    await withSql(stack.databaseUrl, async (sql) => {
      await seed(sql);
      const operatorUrl = `${site}#session=${await userToken(stack, OPERATOR, "operator@example.test")}`;
      const operator = await openAs(browser, operatorUrl);
      await waitFor(operator.page, "body[data-loaded]");

      await t.step("balances, open positions and closed trades equal the tables", async () => {
        const venues = await sql`select exchange_name, balance_usdt::float8 as total, balance_usdt_free::float8 as free,
                                 balance_usdt_used::float8 as used from public.exchange_connections`;
        const totals = await columnValues(operator.page, "venue-table", "data-venue", 1);
        const free = await columnValues(operator.page, "venue-table", "data-venue", 2);
        const used = await columnValues(operator.page, "venue-table", "data-venue", 3);
        assert.equal(totals.size, venues.length);
        for (const v of venues) {
          assert.equal(totals.get(v.exchange_name), v.total, `${v.exchange_name} total`);
          assert.equal(free.get(v.exchange_name), v.free, `${v.exchange_name} free`);
          assert.equal(used.get(v.exchange_name), v.used, `${v.exchange_name} in orders`);
        }
        const binanceText = await operator.page.textContent('#venue-table tr[data-venue="binance"]');
        assert.match(binanceText ?? "", /10,250\.50.*9,650\.50.*600\.00/);

        const open =
          await sql`select id::text, entry_qty::float8 as qty, entry_avg_px::float8 as px from public.positions
                               where status in ('opening', 'open', 'closing')`;
        const qty = await columnValues(operator.page, "position-table", "data-position", 3);
        const px = await columnValues(operator.page, "position-table", "data-position", 4);
        assert.deepEqual([...qty.keys()].sort(), open.map((p) => p.id).sort());
        for (const p of open) {
          assert.equal(qty.get(p.id), p.qty);
          assert.equal(px.get(p.id), p.px);
        }
        assert.match(await operator.page.textContent("#position-table") ?? "", /exit working/);

        // Bid and unrealized PnL, computed here from the tables: what is held (the entry's coins less a base-asset
        // fee) at the recorded bid, less a 0.1 % taker exit fee, less what the entry cost and a quote-asset fee.
        const marks = await sql`
          select p.id::text, q.bid::float8 as bid, o.filled::float8 as qty, o.cost::float8 as cost,
                 o.fee_cost::float8 as fee, o.fee_currency, split_part(p.symbol, '/', 1) as base
          from public.positions p
          join public.orders o on o.position_id = p.id and o.purpose = 'entry'
          join public.market_quotes q on q.venue = p.venue and q.mode = p.mode and q.symbol = p.symbol
          where p.status = 'open'`;
        assert.equal(marks.length, 2);
        const bids = await columnValues(operator.page, "position-table", "data-position", 6);
        const upnl = await columnValues(operator.page, "position-table", "data-position", 8);
        for (const m of marks) {
          const held = m.fee_currency === m.base ? m.qty - m.fee : m.qty;
          const quoteFee = m.fee_currency === m.base ? 0 : m.fee;
          const expected = held * m.bid * (1 - 0.001) - m.cost - quoteFee;
          assert.equal(bids.get(m.id), m.bid);
          assert.ok(Math.abs(upnl.get(m.id)! - expected) < 1e-9, `${m.id}: ${upnl.get(m.id)} vs ${expected}`);
        }
        const eth = open.find((p) => p.qty === 0.2)!;
        const ethText = await operator.page.textContent(`#position-table tr[data-position="${eth.id}"]`) ?? "";
        assert.match(ethText, /3,012\.25\s*\d+ s ago\s*poll\s*\+1\.27/, "a fresh bid and its PnL, signed");
        assert.doesNotMatch(ethText, /stale/i);
        const btc = open.find((p) => p.qty === 0.01)!;
        const btcRow = `#position-table tr[data-position="${btc.id}"]`;
        assert.equal(await operator.page.getAttribute(`${btcRow} td:nth-child(7)`, "data-stale"), "true");
        const btcText = await operator.page.textContent(btcRow) ?? "";
        assert.match(btcText, /60,010\.00\s*5 min ago stale/, "an old quote is marked stale");
        assert.match(btcText, /at a stale quote/, "its PnL is not shown as current");
        const protection = `${btcRow} td:nth-child(11)`;
        assert.equal(await operator.page.getAttribute(protection, "data-state"), "protected");
        assert.equal(await operator.page.getAttribute(protection, "data-tp"), "60120");
        assert.equal(await operator.page.getAttribute(protection, "data-stop"), "59880");
        assert.match(await operator.page.textContent(protection) ?? "", /protected\s*TP 60,120\.00 · stop 59,880\.00/);

        const trades = await sql`select order_id, pnl::float8 as pnl from public.trade_logs order by ts desc`;
        const pnl = await columnValues(operator.page, "trade-table", "data-order-id", 7);
        assert.deepEqual([...pnl.keys()], trades.map((row) => row.order_id), "same trades, newest first");
        for (const row of trades) assert.equal(pnl.get(row.order_id), row.pnl);
        assert.match(await operator.page.textContent('#trade-table tr[data-order-id="OKX-W-5"]') ?? "", /\+2\.05/);
        assert.match(await operator.page.textContent('#trade-table tr[data-order-id="BN-W-2"]') ?? "", /\u22120\.85/);

        assert.equal(await operator.page.getAttribute("#mode", "data-mode"), "paper");
        assert.equal(await operator.page.getAttribute("#trading", "data-enabled"), "true");
        assert.match(await operator.page.textContent("#attention") ?? "", /okx balance is stale/);
        assert.match(
          await operator.page.textContent("#attention") ?? "",
          /binance BTC\/USDT: the latest quote is 5 min ago: is trade-burst running\?/,
        );
        // Today: 3 trades closed today (+0.42 −0.30 +2.05) and 4 positions opened today (3 closed, 1 open).
        assert.equal(Number(await operator.page.getAttribute("#risk-today div:nth-child(2) dd", "data-value")), 2.17);
        // Open positions count per venue, as the burst's limit does.
        assert.equal(await operator.page.getAttribute('#risk-today span[data-venue="okx"]', "data-value"), "1");
        assert.equal(await operator.page.getAttribute('#risk-today span[data-venue="binance"]', "data-value"), "0");
        assert.deepEqual(operator.errors, []);
      });

      await t.step(
        "the PnL chart draws the cumulative line and daily bars; the filter narrows trades and chart",
        async () => {
          const [{ count }] =
            await sql`select count(distinct date_trunc('second', ts))::int as count from public.trade_logs`;
          assert.equal(await operator.page.getAttribute("#pnl-chart", "data-points"), String(count));
          assert.equal(await operator.page.getAttribute("#pnl-chart", "data-days"), "2");
          assert.ok(await inkedPixels(operator.page, "#pnl-chart") > 200, "the PnL chart has drawn pixels");
          assert.ok(await inkedPixels(operator.page, "#latency-chart") > 100, "the latency chart has drawn pixels");
          assert.equal(await operator.page.getAttribute("#latency-chart", "data-points"), "24");

          await operator.page.selectOption("#filter-venue", "okx");
          const okxOnly = await operator.page.$$eval(
            "#trade-table tbody tr",
            (rows) => rows.map((r) => r.getAttribute("data-order-id")),
          );
          assert.deepEqual(okxOnly, ["OKX-W-5", "OKX-W-3"]);
          assert.equal(await operator.page.getAttribute("#pnl-chart", "data-points"), "2");
          const perf = await operator.page.textContent('#performance-table tr[data-symbol="ETH/USDT"]');
          assert.match(perf ?? "", /ETH\/USDT\s*2\s*100\.0 %\s*\+2\.47\s*1\.93/);
          await operator.page.selectOption("#filter-venue", "");
        },
      );

      await t.step("screenshots at desktop and phone widths", async () => {
        await operator.page.screenshot({ path: `${SHOTS}/desktop.png`, fullPage: true });
        const phone = await openAs(browser, operatorUrl, 390, 844);
        await waitFor(phone.page, "body[data-loaded]");
        // Nothing wider than the phone's screen but the scrollable tables.
        const overflow = await phone.page.evaluate("document.documentElement.scrollWidth") as number;
        assert.ok(overflow <= 390, `page is ${overflow}px wide on a 390px phone`);
        await phone.page.screenshot({ path: `${SHOTS}/phone.png`, fullPage: true });
        await phone.context.close();
      });

      await t.step("no secret key in anything the page loaded", async () => {
        assert.ok(operator.log.entries.length > 5);
        for (const entry of operator.log.entries) {
          const body = await entry.body;
          assert.ok(!body.includes(stack.secretKey), `secret key in ${entry.url}`);
          assert.ok(!body.includes(stack.jwtSecret), `JWT secret in ${entry.url}`);
        }
        const assets = operator.log.entries.filter((e) => e.url.startsWith(site)).map((e) => new URL(e.url).pathname);
        for (const asset of ["/", "/app.js", "/style.css", "/config.json"]) assert.ok(assets.includes(asset), asset);
      });

      await t.step("polling shows its interval and pauses while the tab is hidden", async () => {
        assert.match(await operator.page.textContent("#next-refresh") ?? "", /^next in \d+ s$/);
        await setHidden(operator.page, true);
        assert.equal(await operator.page.getAttribute("body", "data-polling"), "paused");
        assert.match(await operator.page.textContent("#next-refresh") ?? "", /paused/);
        await setHidden(operator.page, false);
        await operator.page.waitForSelector('body[data-polling="on"]');
      });

      await t.step("a viewer sees the switch disabled and the RPC refuses a viewer", async () => {
        const viewer = await openAs(
          browser,
          `${site}#session=${await userToken(stack, VIEWER, "viewer@example.test")}`,
        );
        await waitFor(viewer.page, "body[data-loaded]");
        assert.equal(await viewer.page.isDisabled("#trading-switch"), true);
        assert.match(await viewer.page.textContent("#switch-note") ?? "", /Viewers cannot start or stop/);
        await viewer.page.click("#trading-switch", { force: true });
        assert.equal(await viewer.page.isVisible("#confirm"), false, "no confirmation opens for a viewer");
        // Around the page: the viewer's own token against the RPC is refused by the database.
        const token = await userToken(stack, VIEWER, "viewer@example.test");
        const answer = await viewer.page.evaluate(async (args) => {
          const res = await fetch(`${args.url}/rest/v1/rpc/set_trading_enabled`, {
            method: "POST",
            headers: { apikey: args.key, authorization: `Bearer ${args.token}`, "content-type": "application/json" },
            body: JSON.stringify({ enabled: false }),
          });
          return { status: res.status, body: await res.text() };
        }, { url: stack.gatewayUrl, key: stack.publishableKey, token });
        assert.equal(answer.status, 403, answer.body);
        assert.match(answer.body, /only an operator/);
        const [settings] = await sql`select trading_enabled from public.bot_settings`;
        assert.equal(settings.trading_enabled, true);
        assert.equal((await sql`select 1 from public.trading_switch_audit`).length, 0);
        await viewer.context.close();
      });

      await t.step("an operator stops trading: switch off, audit row, the next burst refuses entries", async () => {
        await operator.page.click("#trading-switch");
        await operator.page.waitForSelector("#confirm[open]");
        assert.match(await operator.page.textContent("#confirm-text") ?? "", /Stop trading\?/);
        await operator.page.click("#confirm-yes");
        await waitFor(operator.page, '#trading[data-enabled="false"]');
        const [settings] = await sql`select trading_enabled from public.bot_settings`;
        assert.equal(settings.trading_enabled, false);
        const audit = await sql`select user_id::text, enabled, previous from public.trading_switch_audit`;
        assert.deepEqual(audit.map((row) => ({ ...row })), [{ user_id: OPERATOR, enabled: false, previous: true }]);
        assert.equal(await operator.page.textContent("#trading-switch"), "Start trading");

        // The next burst: a rising path that would enter, but trading is off.
        sim.engines.binance.sync();
        sim.market.setPath(
          "binance",
          "ETH/USDT",
          Array.from({ length: 20 }, (_, i) => ({ mid: 3000 * (1 + 0.0001 * i), spread: 6 })),
        );
        const ordersBefore = (await sql`select 1 from public.orders`).length;
        const res = await fetch(`${stack.gatewayUrl}/functions/v1/trade-burst`, {
          method: "POST",
          headers: {
            apikey: stack.secretKey,
            authorization: `Bearer ${stack.secretKey}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({ duration_ms: 3000, venues: ["binance"], symbols: ["ETH/USDT"] }),
        });
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.ok(body.totals.refusals.trading_disabled > 0, JSON.stringify(body.totals));
        assert.equal(body.totals.entries, 0);
        assert.equal((await sql`select 1 from public.orders`).length, ordersBefore, "no order was placed");
      });

      await t.step("a signed-in non-member is told to ask an operator, and no row comes back", async () => {
        const token = await userToken(stack, STRANGER, "stranger@example.test");
        const stranger = await openAs(browser, `${site}#session=${token}`);
        await waitFor(stranger.page, "#problem");
        assert.equal(await stranger.page.getAttribute("#problem", "data-problem"), "not_member");
        assert.match(
          await stranger.page.textContent("#message") ?? "",
          /Ask an operator to add you \(stranger@example/,
        );
        assert.equal(await stranger.page.isVisible("#dashboard"), false);
        // Around the page: the same token reads every table and gets nothing.
        const bodies = await stranger.page.evaluate(async (args) => {
          const out: string[] = [];
          for (const table of args.tables) {
            const res = await fetch(`${args.url}/rest/v1/${table}?select=*`, {
              headers: { apikey: args.key, authorization: `Bearer ${args.token}` },
            });
            out.push(`${res.status} ${await res.text()}`);
          }
          return out;
        }, {
          url: stack.gatewayUrl,
          key: stack.publishableKey,
          token,
          tables: [
            "bot_settings",
            "exchange_connections",
            "positions",
            "orders",
            "trade_logs",
            "function_runs",
            "market_quotes",
          ],
        });
        assert.deepEqual(bodies, Array(7).fill("200 []"));
        for (const entry of stranger.log.rest()) {
          const text = await entry.body;
          assert.ok(text === "[]" || text === "null" || entry.status >= 400, `${entry.url} answered ${text}`);
        }
        await stranger.context.close();
      });

      await t.step("the anon key alone: the sign-in form, and no row comes back", async () => {
        const anon = await openAs(browser, site);
        await waitFor(anon.page, "#signin:not([hidden])");
        const bodies = await anon.page.evaluate(async (args) => {
          const out: number[] = [];
          for (const table of args.tables) {
            const res = await fetch(`${args.url}/rest/v1/${table}?select=*`, { headers: { apikey: args.key } });
            const text = await res.text();
            out.push(res.ok ? (JSON.parse(text) as unknown[]).length : -res.status);
          }
          return out;
        }, {
          url: stack.gatewayUrl,
          key: stack.publishableKey,
          tables: ["bot_settings", "exchange_connections", "trade_logs", "market_quotes"],
        });
        for (const rows of bodies) assert.ok(rows <= 0, `anon got ${rows} rows`);
        for (const entry of anon.log.rest()) {
          const text = await entry.body;
          assert.ok(text === "[]" || entry.status >= 400, `${entry.url} answered ${text}`);
        }
        await anon.context.close();
      });

      await t.step("sign-in through the page's form with supabase-js (the stack's GoTrue stand-in)", async () => {
        const visitor = await openAs(browser, site);
        await waitFor(visitor.page, "#signin:not([hidden])");
        // A wrong password: GoTrue's own answer, shown on the form.
        await visitor.page.fill("#signin-email", OPERATOR_LOGIN.email);
        await visitor.page.fill("#signin-password", "not-the-password");
        await visitor.page.click('#signin-form button[value="password"]');
        await visitor.page.waitForFunction(
          "/Invalid login credentials/.test(document.getElementById('signin-note').textContent)",
          undefined,
          { timeout: 30_000 },
        ).catch(async (error) => {
          throw new Error(`sign-in note: ${await visitor.page.textContent("#signin-note")}`, { cause: error });
        });
        assert.equal(await visitor.page.isVisible("#dashboard"), false);
        // The right one: supabase-js keeps the session, the page reloads onto the dashboard as the operator.
        await visitor.page.fill("#signin-password", OPERATOR_LOGIN.password);
        await visitor.page.click('#signin-form button[value="password"]');
        await waitFor(visitor.page, "body[data-loaded]");
        assert.match(await visitor.page.textContent("#ages") ?? "", /operator@example\.test \(operator\)/);
        assert.equal(await visitor.page.isDisabled("#trading-switch"), false, "an operator's switch works");
        const tokenCalls = visitor.log.entries.filter((e) => e.url.includes("/auth/v1/token?grant_type=password"));
        assert.deepEqual(tokenCalls.map((e) => e.status), [400, 200]);
        // The signed-in session's reads came back with the member's rows.
        const positions = visitor.log.rest().filter((e) => /\/rest\/v1\/positions\?select=id%2C/.test(e.url));
        assert.ok(positions.length > 0);
        assert.ok(JSON.parse(await positions[0].body).length >= 2, "open positions were read");
        // The access token supabase-js stored is the stand-in's: GET /auth/v1/user knows who it is.
        const user = await visitor.page.evaluate(async (args) => {
          const key = Object.keys(localStorage).find((k) => k.endsWith("-auth-token"));
          const stored = key ? JSON.parse(localStorage.getItem(key) ?? "null") : null;
          const res = await fetch(`${args.url}/auth/v1/user`, {
            headers: { apikey: args.key, authorization: `Bearer ${stored?.access_token}` },
          });
          return { status: res.status, body: await res.json() };
        }, { url: stack.gatewayUrl, key: stack.publishableKey });
        assert.equal(user.status, 200, JSON.stringify(user.body));
        assert.deepEqual([user.body.id, user.body.email, user.body.role], [
          OPERATOR,
          OPERATOR_LOGIN.email,
          "authenticated",
        ]);
        assert.deepEqual(visitor.errors, []);
        // Sign out: back to the form.
        await visitor.page.click("#sign-out");
        await waitFor(visitor.page, "#signin:not([hidden])");
        await visitor.context.close();
      });

      await t.step("wrong URL, wrong key, expired session: plain messages", async (inner) => {
        const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const deadUrl = `http://127.0.0.1:${closed.addr.port}`;
        closed.close();
        const wrongUrl = serveDashboard({ dir, config: { ...config, supabaseUrl: deadUrl } });
        const otherProjectsKey = "sb_publishable_" + "x".repeat(43);
        const wrongKey = serveDashboard({ dir, config: { ...config, publishableKey: otherProjectsKey } });
        servers.push(wrongUrl, wrongKey);
        const operatorToken = await userToken(stack, OPERATOR, "operator@example.test");
        const expired = await userToken(stack, OPERATOR, "operator@example.test", new Date(Date.now() - 60_000));
        const cases: [string, string, RegExp][] = [
          [`${wrongUrl.url}#session=${operatorToken}`, "unreachable", /Check the project URL/],
          [`${wrongKey.url}#session=${operatorToken}`, "bad_key", /Check the publishable key/],
          [`${site}#session=${expired}`, "session_expired", /expired/],
        ];
        for (const [url, problem, fix] of cases) {
          await inner.step(problem, async () => {
            const page = await openAs(browser, url);
            await waitFor(page.page, "#problem");
            assert.equal(await page.page.getAttribute("#problem", "data-problem"), problem, url);
            assert.match(await page.page.textContent("#message") ?? "", fix);
            assert.deepEqual(page.errors, [], "no uncaught error");
            await page.context.close();
          });
        }
      });

      await operator.context.close();
    });
  } finally {
    await browser.close();
    for (const server of servers) await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
