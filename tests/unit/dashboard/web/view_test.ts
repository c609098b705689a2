import assert from "node:assert/strict";
import { TRADE_LIMIT, type WebSnapshot } from "../../../../dashboard/web/src/data.ts";
import {
  attentionHtml,
  esc,
  failingExits,
  filterTrades,
  headerHtml,
  homeRegionsHtml,
  messageHtml,
  positionsHtml,
  riskHtml,
  tradesHtml,
  venuesHtml,
} from "../../../../dashboard/web/src/view.ts";

const NOW = new Date("2026-12-01T12:00:00Z");

function snapshot(overrides: Partial<WebSnapshot> = {}): WebSnapshot {
  return {
    takenAt: NOW.toISOString(),
    settings: {
      mode: "paper",
      trading_enabled: true,
      live_trading_enabled: false,
      max_trades_per_day: 10,
      max_daily_loss_usd: 50,
      max_open_positions: 2,
      max_order_usd: 600,
      drawdown_throttle_floor: 0.4,
      drawdown_throttle_slope: 0.6,
      take_profit_pct: 0.2,
      stop_loss_pct: 0.2,
      exit_protection: true,
      updated_at: "2026-12-01T11:00:00Z",
    },
    venues: [],
    latency: [],
    openPositions: [],
    workingOrders: [],
    exitOrders: [],
    trades: [],
    daily: { since: "2026-12-01T00:00:00.000Z", entries: 0, realizedPnl: 0 },
    runs: [],
    lastBurst: null,
    schedules: [],
    lastStartByFunction: new Map(),
    audit: [],
    quotes: [],
    positionOrders: [],
    ...overrides,
  };
}

const trade = (order_id: string, venue: string, symbol: string, pnl: number) => ({
  ts: "2026-12-01T11:00:00Z",
  venue,
  symbol,
  side: "long",
  size_usd: 600,
  entry_px: 3000,
  exit_px: 3006,
  pnl,
  dur_seconds: 30,
  order_id,
  order_status: "filled",
  fees_usd: 0.96,
  position: { exit_reason: "take_profit" },
});

Deno.test("header: live mode cannot be missed; viewers get a disabled switch, operators a working one", () => {
  const view = { role: "viewer" as const, email: "v@example.test", refreshSeconds: 10, paused: false };
  const live = snapshot({ settings: { ...snapshot().settings, mode: "live" } });
  const viewer = headerHtml(live, NOW, view);
  assert.match(viewer, /class="mode mode-live" data-mode="live">LIVE</);
  assert.match(viewer, /<button id="trading-switch" type="button" data-action="stop" disabled/);
  assert.match(viewer, /Viewers cannot start or stop trading/);
  assert.match(viewer, /refreshing every 10 s/);
  assert.match(viewer, /<span id="clock">2026-12-01 12:00:00 UTC · \d\d:\d\d:\d\d local<\/span>/);
  const operator = headerHtml(snapshot({ settings: { ...snapshot().settings, trading_enabled: false } }), NOW, {
    ...view,
    role: "operator",
    paused: true,
  });
  assert.match(operator, /data-action="start"\s+title="">Start trading/);
  assert.doesNotMatch(operator, /disabled/);
  assert.match(operator, /trading OFF/);
  assert.match(operator, /refresh paused \(tab hidden\)/);
  assert.match(attentionHtml(live, NOW), /LIVE mode: orders use real funds/);
});

Deno.test("every value from the tables is escaped", () => {
  assert.equal(esc(`<img src=x onerror="a">&'`), "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;");
  const html = venuesHtml(
    snapshot({
      venues: [{
        exchange_name: "<b>x</b>",
        is_active: true,
        balance_usdt: 1,
        balance_usdt_free: 1,
        balance_usdt_used: 0,
        balance_status: "error",
        balance_source: null,
        last_balance_update: null,
        last_balance_attempt: null,
        last_error: "<script>alert(1)</script>",
        latency_last_ms: null,
        latency_avg_ms: null,
        latency_max_ms: null,
        latency_band: null,
        latency_updated_at: null,
      }],
    }),
    NOW,
  );
  assert.doesNotMatch(html, /<script>|<b>x/);
  assert.match(html, /&lt;script&gt;/);
  assert.match(messageHtml({ problem: "unknown", title: "<t>", fix: "f", detail: "" }), /&lt;t&gt;/);
});

Deno.test("trades: filter by venue and symbol; PnL signed with raw values kept", () => {
  const trades = [trade("A", "okx", "ETH/USDT", 1.5), trade("B", "binance", "ETH/USDT", -0.25)];
  assert.deepEqual(filterTrades(trades, { venue: "okx", symbol: "" }).map((t) => t.order_id), ["A"]);
  assert.deepEqual(filterTrades(trades, { venue: "", symbol: "ETH/USDT" }).length, 2);
  const html = tradesHtml(trades);
  assert.match(html, /data-value="1.5"><span class="pos">\+1\.50<\/span>/);
  assert.match(html, /data-value="-0.25"><span class="neg">\u22120\.25<\/span>/);
  assert.match(tradesHtml([]), /No closed trades/);
  const many = Array.from({ length: 1000 }, (_, i) => trade(`T${i}`, "okx", "ETH/USDT", 0.1));
  const capped = tradesHtml(many);
  assert.equal(capped.match(/<tr data-order-id=/g)?.length, 50);
  // 1000 trades are not a cap any more (the read is paged, issue 14): no "newest N are read" note.
  assert.match(capped, /Newest 50 of 1000 shown; the chart and per-symbol figures use all 1000\.<\/p>/);
  const limit = Array.from({ length: TRADE_LIMIT }, (_, i) => trade(`T${i}`, "okx", "ETH/USDT", 0.1));
  assert.match(
    tradesHtml(limit),
    new RegExp(`use all ${TRADE_LIMIT} \\(the newest ${TRADE_LIMIT} of the last 30 days are read\\)`),
  );
});

Deno.test("positions: protection shows TP/SL, a working exit, or failing exits", () => {
  const position = {
    id: "p1",
    venue: "okx",
    symbol: "ETH/USDT",
    status: "open",
    mode: "paper",
    entry_qty: 0.2,
    entry_avg_px: 3000,
    entry_fees_usd: 0,
    opened_at: "2026-12-01T11:59:15Z",
  };
  // Protection off in the settings: the burst's own targets.
  const botManaged = snapshot({ openPositions: [position] });
  botManaged.settings.exit_protection = false;
  assert.match(positionsHtml(botManaged, NOW), /data-state="bot_managed">bot-managed: TP 3,006\.00 \/ SL 2,994\.00/);
  // Protection on (OKX holds it too, as one oco algo): a position without its legs is missing on the venue.
  assert.match(positionsHtml(snapshot({ openPositions: [position] }), NOW), /data-state="missing">/);
  const failing = snapshot({
    openPositions: [position],
    exitOrders: [1, 2].map(() => ({
      position_id: "p1",
      venue: "okx",
      symbol: "ETH/USDT",
      order_status: "rejected",
      last_error: "InsufficientFunds",
      created_at: "2026-12-01T11:59:30Z",
    })),
  });
  assert.deepEqual(failingExits(failing).map((f) => f.failures), [2]);
  assert.match(positionsHtml(failing, NOW), /exit failed ×2/);
  assert.match(attentionHtml(failing, NOW), /okx ETH\/USDT: exit failed 2 times \(InsufficientFunds\)/);
});

Deno.test("risk: limits reached say so", () => {
  const html = riskHtml(snapshot({ daily: { since: "2026-12-01T00:00:00.000Z", entries: 10, realizedPnl: -25 } }));
  assert.match(html, /10 \/ 10/);
  assert.match(html, /size × 0\.70/);
  assert.match(html, /No new entries: daily entry cap reached/);
});

Deno.test("home regions: one escaped line under the venues once one exists (issue 18)", () => {
  assert.equal(homeRegionsHtml(snapshot({})), "");
  const html = homeRegionsHtml(snapshot({
    homeRegions: [{
      venue: "binance",
      region: "ap-northeast-1",
      source: "measured",
      median_ms: 6,
      samples: 30,
      reason: "best <median>",
      chosen_at: "2026-03-04T11:00:00Z",
    }, {
      venue: "okx",
      region: "ap-southeast-1",
      source: "override",
      median_ms: null,
      samples: 0,
      reason: "set in settings",
      chosen_at: "2026-03-04T11:00:00Z",
    }],
  }));
  assert.match(html, /<b>binance<\/b> → ap-northeast-1 \(measured, median 6/);
  assert.match(html, /<b>okx<\/b> → ap-southeast-1 \(set in settings\)/);
  assert.ok(!html.includes("<median>"), "the reason is escaped");
});

Deno.test("positions: the bid, its age, unrealized PnL net of fees, and the protection legs; a stale quote says so", async (t) => {
  const position = {
    id: "p2",
    venue: "binance",
    symbol: "BTC/USDT",
    status: "open",
    mode: "paper",
    entry_qty: 0.01,
    entry_avg_px: 60000,
    entry_fees_usd: 0.6,
    opened_at: "2026-12-01T11:55:00Z",
  };
  const leg = {
    position_id: "p2",
    symbol: "BTC/USDT",
    order_status: "open",
    amount: 0.01,
    filled: 0,
    average: null,
    cost: 0,
    fee_cost: null,
    fee_currency: null,
    fee_rate_used: null,
    created_at: "2026-12-01T11:55:01Z",
  };
  const orders = [
    {
      ...leg,
      purpose: "entry",
      order_status: "filled",
      type: "limit",
      price: 60000,
      trigger_price: null,
      filled: 0.01,
      average: 60000,
      cost: 600,
      fee_cost: 0.6,
      fee_currency: "USDT",
    },
    { ...leg, purpose: "take_profit", type: "limit", price: 60120, trigger_price: null },
    { ...leg, purpose: "stop_loss", type: "stop", price: 59580, trigger_price: 59880 },
  ];
  const quote = (ageMs: number) => ({
    venue: "binance",
    mode: "paper",
    symbol: "BTC/USDT",
    bid: 60300,
    ask: 60301,
    ts: new Date(NOW.getTime() - ageMs).toISOString(),
    source: "stream",
  });
  // 0.01 × 60300 = 603, less a 0.603 taker fee, less 600 and its 0.6 fee: +1.797.
  const expected = 603 - 0.603 - 600.6;

  await t.step("fresh", () => {
    const html = positionsHtml(
      snapshot({ openPositions: [position], positionOrders: orders, quotes: [quote(20_000)] }),
      NOW,
    );
    assert.match(html, /<td class="num" data-value="60300" data-stale="false">60,300\.00<\/td>/);
    const upnl = /data-value="([^"]+)" data-stale="false" title="[^"]*"><span class="pos">\+1\.80<\/span>/.exec(html);
    assert.ok(upnl, html);
    assert.ok(Math.abs(Number(upnl[1]) - expected) < 1e-9, upnl[1]);
    assert.match(html, /data-state="protected" data-tp="60120" data-stop="59880"><span class="pos">protected/);
    assert.match(html, /TP 60,120\.00 · stop 59,880\.00/);
    assert.match(html, /20 s ago/);
  });
  await t.step("stale after two minutes: not shown as current, and called out", () => {
    const stale = snapshot({ openPositions: [position], positionOrders: orders, quotes: [quote(180_000)] });
    const html = positionsHtml(stale, NOW);
    assert.match(html, /data-stale="true"><span class="muted">60,300\.00<\/span>/);
    assert.match(html, /<span class="stale">stale<\/span>/);
    assert.match(html, /<span class="muted">at a stale quote<\/span>/);
    assert.doesNotMatch(html, /\+1\.80<\/span>/);
    assert.match(
      attentionHtml(stale, NOW),
      /binance BTC\/USDT: the latest quote is 3 min ago: is trade-burst running\?/,
    );
  });
  await t.step("no quote yet; a missing stop leg", () => {
    const gap = snapshot({ openPositions: [position], positionOrders: orders.slice(0, 2), quotes: [] });
    const html = positionsHtml(gap, NOW);
    assert.match(html, /no quote yet/);
    assert.match(html, /data-state="incomplete" data-tp="60120"><span class="neg">stop loss MISSING/);
    assert.match(attentionHtml(gap, NOW), /binance BTC\/USDT: stop loss MISSING; the next burst of binance places it/);
  });
});
