/**
 * The page's sections as HTML strings, from a snapshot and the clock. Pure (no DOM), so the markup is unit-tested;
 * every value goes through `esc`. Cells carry data-* attributes with the raw values for tests and copy-paste.
 */

import {
  attentionItems,
  cronPunctuality,
  cumulativePnl,
  dailyPnl,
  type FailingExit,
  performanceBySymbol,
  riskToday,
} from "../../shared/analytics.ts";
import {
  ago,
  duration,
  millis,
  MISSING,
  money,
  percent,
  pnl,
  price,
  quantity,
  quoteOf,
  utc,
  utcAndLocal,
  utcClock,
} from "../../shared/format.ts";
import type { Explanation } from "../../shared/explain.ts";
import { type MarkedPosition, markPosition, protectionLabel, STALE_QUOTE_MS } from "../../shared/open_positions.ts";
import { balanceWithDust, dustByVenue, dustText } from "../../shared/dust.ts";
import { type Role, TRADE_DAYS, TRADE_LIMIT, type TradeRow, type WebSnapshot } from "./data.ts";

export function esc(value: unknown): string {
  return String(value ?? "").replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

function time(iso: string | null | undefined, now: Date): string {
  if (!iso) return `<span class="muted">never</span>`;
  return `<time datetime="${esc(iso)}" title="${esc(utcAndLocal(iso))}">${esc(ago(iso, now))}</time>`;
}

function signed(value: number | null | undefined, quote = "USDT"): string {
  const { text, tone } = pnl(value, quote);
  return `<span class="${tone}">${esc(text)}</span>`;
}

function table(headers: readonly string[], body: readonly string[], empty: string, id: string): string {
  if (body.length === 0) return `<p class="empty" id="${id}-empty">${esc(empty)}</p>`;
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
  return `<div class="scroll"><table id="${id}"><thead><tr>${head}</tr></thead><tbody>${
    body.join("")
  }</tbody></table></div>`;
}

const cell = (content: string, extra = "") => `<td${extra}>${content}</td>`;
const num = (content: string, raw?: number | null) =>
  `<td class="num"${raw === undefined || raw === null ? "" : ` data-value="${esc(raw)}"`}>${content}</td>`;

export interface HeaderView {
  role: Role | null;
  email: string | null;
  refreshSeconds: number;
  paused: boolean;
}

/** The strip at the top: mode, trading, last burst, the switch. */
export function headerHtml(snapshot: WebSnapshot, now: Date, view: HeaderView): string {
  const { settings, lastBurst } = snapshot;
  const mode = settings.mode;
  const trading = settings.trading_enabled;
  const operator = view.role === "operator";
  const totals = (lastBurst?.summary?.totals ?? null) as
    | { entries?: number; realized_pnl?: number; positions_closed?: number }
    | null;
  const burst = lastBurst
    ? `last burst ${time(lastBurst.started_at, now)}: <b class="outcome-${esc(lastBurst.outcome)}">${
      esc(lastBurst.outcome)
    }</b>${
      totals
        ? ` · ${esc(totals.entries ?? 0)} entries, ${esc(totals.positions_closed ?? 0)} closed, ${
          signed(totals.realized_pnl ?? 0)
        }`
        : ""
    }${lastBurst.error ? ` · <span class="neg">${esc(lastBurst.error)}</span>` : ""}`
    : `<span class="muted">no burst has run yet</span>`;
  const switchTitle = operator ? "" : "Viewers cannot start or stop trading; ask an operator.";
  return `
    <div class="badges">
      <span id="mode" class="mode mode-${esc(mode)}" data-mode="${esc(mode)}">${esc(mode.toUpperCase())}</span>
      <span id="trading" class="trading ${trading ? "on" : "off"}" data-enabled="${trading}">trading ${
    trading ? "ON" : "OFF"
  }</span>
      <button id="trading-switch" type="button" data-action="${trading ? "stop" : "start"}" ${
    operator ? "" : "disabled"
  } title="${esc(switchTitle)}">${trading ? "Stop trading" : "Start trading"}</button>
      ${operator ? "" : `<span class="muted" id="switch-note">${esc(switchTitle)}</span>`}
    </div>
    <div class="burst" id="last-burst">${burst}</div>
    <div class="ages muted" id="ages"><span id="clock">${esc(utcAndLocal(snapshot.takenAt))}</span> · read ${
    time(snapshot.takenAt, now)
  } · settings changed ${time(settings.updated_at, now)} · ${
    view.paused ? "refresh paused (tab hidden)" : `refreshing every ${view.refreshSeconds} s`
  } · ${esc(view.email ?? "signed in")} (${esc(view.role ?? "no role")})</div>`;
}

export function failingExits(snapshot: WebSnapshot): FailingExit[] {
  const open = new Map(snapshot.openPositions.map((p) => [p.id, p]));
  const byPosition = new Map<string, FailingExit>();
  for (const order of snapshot.exitOrders) {
    if (!order.position_id || !open.has(order.position_id)) continue;
    const entry = byPosition.get(order.position_id) ??
      { position_id: order.position_id, venue: order.venue, symbol: order.symbol, failures: 0, last_error: null };
    entry.failures += 1;
    entry.last_error = order.last_error ?? entry.last_error;
    byPosition.set(order.position_id, entry);
  }
  return [...byPosition.values()];
}

function refusedVenues(snapshot: WebSnapshot): { venue: string; error: string | null }[] {
  const venues = (snapshot.lastBurst?.summary?.venues ?? []) as {
    venue?: string;
    error_kind?: string;
    error?: string;
  }[];
  if (!Array.isArray(venues)) return [];
  return venues.filter((v) => v && v.error_kind === "needs_human")
    .map((v) => ({ venue: String(v.venue ?? "?"), error: v.error ?? null }));
}

export function punctuality(snapshot: WebSnapshot, now: Date) {
  return cronPunctuality(snapshot.schedules, snapshot.lastStartByFunction, now);
}

/** Each open position with its bid, unrealized PnL and protection (dashboard/shared/open_positions.ts). */
export function markedPositions(snapshot: WebSnapshot, now: Date): Map<string, MarkedPosition> {
  const context = {
    orders: snapshot.positionOrders,
    quotes: snapshot.quotes,
    exitProtection: snapshot.settings.exit_protection,
    now,
  };
  return new Map(snapshot.openPositions.map((p) => [p.id, markPosition(p, context)]));
}

/** Open positions the venue should protect but does not, and open positions valued at a stale quote. */
function positionAttention(snapshot: WebSnapshot, now: Date): { severity: "critical" | "warning"; text: string }[] {
  const marks = markedPositions(snapshot, now);
  return snapshot.openPositions.flatMap((p) => {
    const mark = marks.get(p.id)!;
    const where = `${p.venue} ${p.symbol}`;
    const items: { severity: "critical" | "warning"; text: string }[] = [];
    if (mark.protection.state === "missing" || mark.protection.state === "incomplete") {
      items.push({
        severity: "warning",
        text: `${where}: ${protectionLabel(mark.protection)}; the next burst of ${p.venue} places it again`,
      });
    }
    if (mark.quote?.stale) {
      items.push({
        severity: "warning",
        text: `${where}: the latest quote is ${ago(mark.quote.ts, now)}: is trade-burst running?`,
      });
    }
    return items;
  });
}

export function attentionHtml(snapshot: WebSnapshot, now: Date): string {
  const items = [
    ...attentionItems({
      mode: snapshot.settings.mode,
      venues: snapshot.venues,
      failingExits: failingExits(snapshot),
      refusedVenues: refusedVenues(snapshot),
      lateJobs: punctuality(snapshot, now),
      now,
    }),
    ...positionAttention(snapshot, now),
  ];
  if (items.length === 0) return "";
  return `<h2>Needs a person</h2><ul>${
    items.map((item) => `<li class="${item.severity}">${esc(item.text)}</li>`).join("")
  }</ul>`;
}

export function venuesHtml(snapshot: WebSnapshot, now: Date): string {
  const body = snapshot.venues.map((v) =>
    `<tr data-venue="${esc(v.exchange_name)}">${cell(`<b>${esc(v.exchange_name)}</b>${v.is_active ? "" : " (off)"}`)}${
      num(esc(money(v.balance_usdt)), v.balance_usdt)
    }${num(esc(money(v.balance_usdt_free)), v.balance_usdt_free)}${
      num(esc(money(v.balance_usdt_used)), v.balance_usdt_used)
    }${
      cell(
        `<span class="status-${esc(v.balance_status)}">${esc(v.balance_status)}</span> ${esc(v.balance_source ?? "")}`,
      )
    }${cell(time(v.last_balance_update, now))}${num(esc(millis(v.latency_last_ms)), v.latency_last_ms)}${
      num(esc(millis(v.latency_avg_ms)), v.latency_avg_ms)
    }${cell(esc(v.latency_band ?? MISSING))}${cell(time(v.latency_updated_at, now))}${
      cell(v.last_error ? `<span class="neg small">${esc(v.last_error)}</span>` : "")
    }</tr>`
  );
  return table(
    [
      "Venue",
      "Total USDT",
      "Free",
      "In orders",
      "Balance",
      "Balance age",
      "Latency",
      "Avg",
      "Band",
      "Latency age",
      "Error",
    ],
    body,
    "No venues configured.",
    "venue-table",
  ) + dustHtml(snapshot) + homeRegionsHtml(snapshot);
}

/**
 * One line per venue that holds dust (base below one lot step left by closed positions): what, at which recorded
 * market price, and the venue's USDT plus its dust at market, unknown while some dust is unvalued. Nothing otherwise.
 */
export function dustHtml(snapshot: WebSnapshot): string {
  const byVenue = dustByVenue(snapshot.dust ?? []);
  if (byVenue.size === 0) return "";
  const fmt = { qty: (n: number) => quantity(n), usd: (n: number) => money(n) };
  const lines = [...byVenue.values()].map((dust) => {
    const balance = snapshot.venues.find((v) => v.exchange_name === dust.venue)?.balance_usdt ?? null;
    const total = balanceWithDust(balance, dust);
    const totalText = total === null
      ? `<span class="neg">unknown (some dust unvalued or not assessed)</span>`
      : `<span data-value="${esc(total)}">${esc(money(total))}</span>`;
    return `<li data-venue="${esc(dust.venue)}" data-dust-usd="${esc(dust.valueUsd)}"><b>${esc(dust.venue)}</b> dust: ${
      esc(dust.symbols.map((row) => dustText(row, fmt)).join("; "))
    } · USDT + dust at market: ${totalText}</li>`;
  });
  return `<ul class="small" id="dust">${lines.join("")}</ul>`;
}

/** One line under the venues: where each venue's bursts run (issue 18); nothing until a home region exists. */
export function homeRegionsHtml(snapshot: WebSnapshot): string {
  const homes = snapshot.homeRegions ?? [];
  if (homes.length === 0) return "";
  const parts = homes.map((h) =>
    `<b>${esc(h.venue)}</b> → ${esc(h.region)} (${
      h.source === "override" ? "set in settings" : `measured, median ${esc(millis(h.median_ms))}`
    })`
  );
  return `<p class="small" id="home-regions" title="${esc(homes.map((h) => `${h.venue}: ${h.reason}`).join("; "))}">` +
    `Home regions: ${parts.join(" · ")}</p>`;
}

export function riskHtml(snapshot: WebSnapshot): string {
  const openByVenue = new Map<string, number>(
    snapshot.venues.filter((v) => v.is_active).map((v) => [v.exchange_name, 0]),
  );
  for (const p of snapshot.openPositions) {
    if (p.mode === snapshot.settings.mode) openByVenue.set(p.venue, (openByVenue.get(p.venue) ?? 0) + 1);
  }
  const risk = riskToday(snapshot.daily, openByVenue, snapshot.settings);
  const bar = (used: number, max: number) => {
    const ratio = max > 0 ? Math.min(1, Math.max(0, used / max)) : 1;
    return `<span class="bar"><span style="width:${(ratio * 100).toFixed(1)}%"></span></span>`;
  };
  const loss = Math.max(0, -risk.realizedPnl);
  return `<dl class="risk" id="risk-today">
    <div><dt>Entries today</dt><dd data-value="${risk.entries}">${risk.entries} / ${risk.maxEntries} ${
    bar(risk.entries, risk.maxEntries)
  }</dd></div>
    <div><dt>Realized PnL today</dt><dd data-value="${esc(risk.realizedPnl)}">${signed(risk.realizedPnl)} (limit −${
    esc(money(risk.maxLoss))
  }) ${bar(loss, risk.maxLoss)}</dd></div>
    <div><dt>Drawdown throttle</dt><dd data-value="${esc(risk.throttle)}">${
    risk.throttle >= 1 ? "none (full size)" : `size × ${esc(risk.throttle.toFixed(2))}`
  }</dd></div>
    <div><dt>Open positions (limit per venue)</dt><dd>${
    risk.openByVenue.map((v) =>
      `<span data-venue="${esc(v.venue)}" data-value="${v.open}">${esc(v.venue)} ${v.open} / ${risk.maxOpenPositions} ${
        bar(v.open, risk.maxOpenPositions)
      }</span>`
    ).join("<br>") || "none"
  }</dd></div>
  </dl>${
    risk.blocked.length ? `<p class="neg" id="risk-blocked">No new entries: ${esc(risk.blocked.join("; "))}</p>` : ""
  }<p class="muted small">since ${esc(utc(snapshot.daily.since))}</p>`;
}

/** The bid cell: the price, with its age and "stale" once it is older than STALE_QUOTE_MS. */
function bidCells(mark: MarkedPosition, quote: string, now: Date): string {
  const q = mark.quote;
  if (!q) return `${cell(`<span class="muted">no quote yet</span>`)}${cell(`<span class="muted">${MISSING}</span>`)}`;
  const bid = q.stale ? `<span class="muted">${esc(price(q.bid, quote))}</span>` : esc(price(q.bid, quote));
  const age = `${time(q.ts, now)}${q.stale ? ` <span class="stale">stale</span>` : ""} <span class="muted small">${
    esc(q.source)
  }</span>`;
  return `<td class="num" data-value="${esc(q.bid)}" data-stale="${q.stale}">${bid}</td>${cell(age)}`;
}

function unrealizedCell(mark: MarkedPosition, quote: string): string {
  const u = mark.unrealized;
  if (!u || !mark.quote) return num(`<span class="muted">${MISSING}</span>`);
  const title = `sold at the bid now: ${pnl(u.pnl, quote).text} after ${money(u.feesPaid, quote)} fees paid and ~${
    money(u.exitFeeEstimate, quote)
  } exit fee (${percent(u.exitFeeRate, 2)} taker, estimated)`;
  // A stale bid is not the price now: the figure stays readable (title, data-value) but is not shown as current.
  const shown = mark.quote.stale ? `<span class="muted">at a stale quote</span>` : signed(u.pnl, quote);
  return `<td class="num" data-value="${esc(u.pnl)}" data-stale="${mark.quote.stale}" title="${
    esc(title)
  }">${shown}</td>`;
}

function protectionCell(mark: MarkedPosition, quote: string, fallback: string): string {
  const { state, takeProfit, stopLoss } = mark.protection;
  const attrs = ` data-state="${esc(state)}"${takeProfit.price === null ? "" : ` data-tp="${esc(takeProfit.price)}"`}${
    stopLoss.trigger === null ? "" : ` data-stop="${esc(stopLoss.trigger)}"`
  }`;
  if (state === "bot_managed" || state === "closing" || state === "opening") {
    return `<td${attrs}>${fallback}</td>`;
  }
  const legs = [
    takeProfit.price === null
      ? `<span class="neg">no take profit</span>`
      : `TP ${esc(price(takeProfit.price, quote))}${
        takeProfit.state === "open" ? "" : ` (${esc(takeProfit.state.replace("_", " "))})`
      }`,
    stopLoss.trigger === null
      ? `<span class="neg">no stop</span>`
      : `stop ${esc(price(stopLoss.trigger, quote))}${
        stopLoss.state === "open" ? "" : ` (${esc(stopLoss.state.replace("_", " "))})`
      }`,
  ].join(" · ");
  const tone = state === "protected" ? "pos" : state === "placing" || state === "partly_filled" ? "" : "neg";
  return `<td${attrs}><span class="${tone}">${
    esc(protectionLabel(mark.protection))
  }</span><br><span class="small">${legs}</span></td>`;
}

export function positionsHtml(snapshot: WebSnapshot, now: Date): string {
  const failing = new Map(failingExits(snapshot).map((f) => [f.position_id, f]));
  const working = new Set(
    snapshot.workingOrders.filter((o) => o.purpose === "exit").map((o) => `${o.venue} ${o.symbol}`),
  );
  const marks = markedPositions(snapshot, now);
  const { take_profit_pct: tp, stop_loss_pct: sl } = snapshot.settings;
  const body = snapshot.openPositions.map((p) => {
    const quote = quoteOf(p.symbol);
    const entry = p.entry_avg_px;
    const mark = marks.get(p.id)!;
    const failures = failing.get(p.id)?.failures ?? 0;
    // What a person must see first wins over the protection legs; bot-managed exits show the burst's own targets.
    const override = p.needs_attention
      ? `<span class="neg">needs a person: exits refused ×${failures}, retrying</span>`
      : failures > 0
      ? `<span class="neg">exit failed ×${failures}</span>`
      : null;
    const fallback = p.status === "closing" || working.has(`${p.venue} ${p.symbol}`)
      ? "exit working"
      : p.status === "opening"
      ? "entry working"
      : entry
      ? `bot-managed: TP ${esc(price(entry * (1 + tp / 100), quote))} / SL ${esc(price(entry * (1 - sl / 100), quote))}`
      : esc(p.status);
    const protection = override ? cell(override) : protectionCell(mark, quote, fallback);
    return `<tr data-position="${esc(p.id)}">${cell(esc(p.venue))}${cell(esc(p.symbol))}${cell(esc(p.status))}${
      num(esc(quantity(p.entry_qty)), p.entry_qty)
    }${num(esc(price(entry, quote)), entry)}${num(esc(money(entry === null ? null : entry * p.entry_qty, quote)))}${
      bidCells(mark, quote, now)
    }${unrealizedCell(mark, quote)}${cell(time(p.opened_at, now))}${protection}</tr>`;
  });
  return table(
    [
      "Venue",
      "Symbol",
      "Status",
      "Size",
      "Entry",
      "Notional",
      "Bid",
      "Quote age",
      "Unrealized PnL",
      "Age",
      "Protection",
    ],
    body,
    "No open positions.",
    "position-table",
  ) +
    `<p class="muted small" id="position-note">Bid: the latest quote a burst recorded (market_quotes); older than ${
      STALE_QUOTE_MS / 60_000
    } min it is shown as stale. Unrealized PnL: the position sold at that bid now, net of the entry fees paid and an estimated exit fee at the venue's base taker rate (hover for the figures).</p>`;
}

export function ordersHtml(snapshot: WebSnapshot, now: Date): string {
  const body = snapshot.workingOrders.map((o) => {
    const quote = quoteOf(o.symbol);
    return `<tr data-order="${esc(o.client_order_id)}">${cell(esc(o.venue))}${cell(esc(o.symbol))}${cell(esc(o.side))}${
      cell(esc(o.purpose))
    }${cell(esc(o.type))}${num(esc(price(o.price, quote)), o.price)}${num(esc(quantity(o.amount)), o.amount)}${
      num(esc(quantity(o.filled)), o.filled)
    }${cell(esc(o.order_status))}${cell(time(o.created_at, now))}${
      cell(o.last_error ? `<span class="neg small">${esc(o.last_error)}</span>` : "")
    }</tr>`;
  });
  return table(
    ["Venue", "Symbol", "Side", "Purpose", "Type", "Price", "Amount", "Filled", "Status", "Age", "Error"],
    body,
    "No working orders.",
    "order-table",
  );
}

export interface TradeFilter {
  venue: string;
  symbol: string;
}

export function filterTrades(trades: readonly TradeRow[], filter: TradeFilter): TradeRow[] {
  return trades.filter((t) =>
    (!filter.venue || t.venue === filter.venue) && (!filter.symbol || t.symbol === filter.symbol)
  );
}

export function filterOptions(trades: readonly TradeRow[]): { venues: string[]; symbols: string[] } {
  return {
    venues: [...new Set(trades.map((t) => t.venue))].sort(),
    symbols: [...new Set(trades.map((t) => t.symbol))].sort(),
  };
}

export const TRADE_ROWS_SHOWN = 50;

export function tradesHtml(trades: readonly TradeRow[]): string {
  const body = trades.slice(0, TRADE_ROWS_SHOWN).map((t) => {
    const quote = quoteOf(t.symbol);
    return `<tr data-order-id="${esc(t.order_id ?? "")}">${
      cell(`<time datetime="${esc(t.ts)}" title="${esc(utcAndLocal(t.ts))}">${esc(utcClock(t.ts))}</time>`)
    }${cell(esc(t.venue))}${cell(esc(t.symbol))}${cell(esc(t.side))}${num(esc(money(t.size_usd, quote)), t.size_usd)}${
      num(esc(price(t.entry_px, quote)), t.entry_px)
    }${num(esc(price(t.exit_px, quote)), t.exit_px)}${num(signed(t.pnl, quote), t.pnl)}${
      num(esc(money(t.fees_usd, quote)), t.fees_usd)
    }${num(esc(duration(t.dur_seconds)), t.dur_seconds)}${cell(esc(t.position?.exit_reason ?? MISSING))}</tr>`;
  });
  const capped = trades.length >= TRADE_LIMIT
    ? ` (the newest ${TRADE_LIMIT} of the last ${TRADE_DAYS} days are read)`
    : "";
  const more = trades.length > TRADE_ROWS_SHOWN
    ? `<p class="muted small">Newest ${TRADE_ROWS_SHOWN} of ${trades.length} shown; the chart and per-symbol figures use all ${trades.length}${capped}.</p>`
    : "";
  return table(
    ["Time (UTC)", "Venue", "Symbol", "Side", "Size", "Entry", "Exit", "PnL", "Fees", "Held", "Exit reason"],
    body,
    "No closed trades in the last 30 days.",
    "trade-table",
  ) + more;
}

export function performanceHtml(trades: readonly TradeRow[]): string {
  const rows = performanceBySymbol(trades);
  const body = rows.map((r) =>
    `<tr data-symbol="${esc(r.symbol)}" data-venue="${esc(r.venue)}">${cell(esc(r.venue))}${cell(esc(r.symbol))}${
      num(String(r.trades), r.trades)
    }${num(esc(percent(r.winRate)), r.winRate)}${num(signed(r.pnl, quoteOf(r.symbol)), r.pnl)}${
      num(esc(money(r.fees, quoteOf(r.symbol))), r.fees)
    }</tr>`
  );
  return table(["Venue", "Symbol", "Trades", "Win rate", "PnL", "Fees"], body, "No trades yet.", "performance-table");
}

export function runsHtml(snapshot: WebSnapshot, now: Date): string {
  const jobs = punctuality(snapshot, now).map((job) =>
    `<tr data-job="${esc(job.name)}">${cell(esc(job.name))}${cell(`<code>${esc(job.cron)}</code>`)}${
      cell(time(job.lastStartedAt, now))
    }${cell(`<span class="job-${job.state}">${esc(job.state.replace("_", " "))}</span>`)}</tr>`
  );
  const runs = snapshot.runs.map((r) =>
    `<tr>${cell(time(r.started_at, now))}${cell(esc(r.function_name))}${cell(esc(r.venue ?? "all"))}${
      cell(`<span class="outcome-${esc(r.outcome)}">${esc(r.outcome)}</span>`)
    }${num(esc(millis(r.duration_ms)), r.duration_ms)}${
      cell(r.error ? `<span class="small">${esc(r.error)}</span>` : "")
    }</tr>`
  );
  const audit = snapshot.audit && snapshot.audit.length > 0
    ? `<h3>Start / Stop history</h3>${
      table(
        ["When", "Trading", "By"],
        snapshot.audit.map((a) =>
          `<tr>${cell(time(a.at, now))}${cell(a.enabled ? "started" : "stopped")}${
            cell(`<code>${esc(a.user_id ?? MISSING)}</code>`)
          }</tr>`
        ),
        "",
        "audit-table",
      )
    }`
    : "";
  return `<h3>Cron jobs</h3>${table(["Job", "Cron (UTC)", "Last start", "On time"], jobs, "No schedules.", "job-table")}
    <h3>Recent runs</h3>${
    table(["Started", "Function", "Venue", "Outcome", "Duration", "Error"], runs, "No runs yet.", "run-table")
  }${audit}`;
}

export function chartSeries(trades: readonly TradeRow[]) {
  const closed = trades.map((t) => ({ ts: t.ts, venue: t.venue, symbol: t.symbol, pnl: t.pnl, fees_usd: t.fees_usd }));
  return { cumulative: cumulativePnl(closed), daily: dailyPnl(closed) };
}

/** A full-page message instead of the dashboard: what went wrong and what to do. */
export function messageHtml(explanation: Explanation): string {
  return `<h2 id="problem" data-problem="${esc(explanation.problem)}">${esc(explanation.title)}</h2>
    <p>${esc(explanation.fix)}</p>${
    explanation.detail ? `<p class="muted small"><code>${esc(explanation.detail)}</code></p>` : ""
  }`;
}
