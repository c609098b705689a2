import assert from "node:assert/strict";
import { balanceWithDust, dustByVenue, type DustRow } from "../../../../dashboard/shared/dust.ts";
import { render } from "../../../../dashboard/terminal/render.ts";
import type { DashboardSnapshot, VenueView } from "../../../../dashboard/terminal/snapshot.ts";
import type { WebSnapshot } from "../../../../dashboard/web/src/data.ts";
import { dustHtml } from "../../../../dashboard/web/src/view.ts";

const NOW = new Date("2026-12-02T12:00:00Z");

const valued: DustRow = {
  venue: "binance",
  symbol: "ETH/USDT",
  positions: 3,
  dust_qty: 0.0003,
  dust_cost_usd: 0.9,
  valued_qty: 0.0003,
  dust_value_usd: 0.9033,
  unvalued_positions: 0,
  unvalued_qty: 0,
  last_px: 3011,
  last_priced_at: "2026-12-02T11:58:00Z",
  unassessed_positions: 0,
};
const unvalued: DustRow = {
  ...valued,
  symbol: "BTC/USDT",
  positions: 1,
  dust_qty: 0.000004,
  dust_cost_usd: 0.24,
  valued_qty: 0,
  dust_value_usd: 0,
  unvalued_positions: 1,
  unvalued_qty: 0.000004,
  last_px: null,
  last_priced_at: null,
};

const venue: VenueView = {
  exchange_name: "binance",
  is_active: true,
  balance_usdt: 9999.1,
  balance_usdt_free: 9999.1,
  balance_status: "ok",
  balance_source: "paper",
  last_balance_update: "2026-12-02T11:59:00Z",
  last_balance_attempt: "2026-12-02T11:59:00Z",
  last_error: null,
  latency_last_ms: 20,
  latency_avg_ms: 20,
  latency_max_ms: 20,
  latency_band: "aggressive",
  latency_updated_at: "2026-12-02T11:59:50Z",
};

function terminal(dust: DustRow[]): DashboardSnapshot {
  return {
    takenAt: NOW.toISOString(),
    settings: null,
    venues: [venue],
    daily: null,
    openPositions: [],
    recentTrades: [],
    pendingOrders: [],
    recentRuns: [],
    dust,
  };
}

function web(dust: DustRow[]): WebSnapshot {
  return {
    venues: [{ ...venue, balance_usdt_used: 0 }],
    dust,
  } as unknown as WebSnapshot;
}

Deno.test("dust: valued at its recorded market price, summed per venue, unvalued said so", async (t) => {
  await t.step("the books: USDT plus dust at market; unknown while any dust is unvalued or unassessed", () => {
    const one = dustByVenue([valued]).get("binance")!;
    assert.equal(one.valueUsd, 0.9033);
    assert.equal(balanceWithDust(9999.1, one), 9999.1 + 0.9033);
    assert.equal(balanceWithDust(9999.1, dustByVenue([valued, unvalued]).get("binance")), null);
    assert.equal(balanceWithDust(9999.1, dustByVenue([{ ...valued, unassessed_positions: 2 }]).get("binance")), null);
    assert.equal(balanceWithDust(100, undefined), 100, "no dust: the balance is the whole value");
  });

  await t.step("the terminal prints one dust line per venue, with price and time, or unvalued", () => {
    assert.doesNotMatch(render(terminal([]), NOW), /^dust /m, "nothing without dust");
    assert.match(
      render(terminal([valued]), NOW),
      /^dust binance: 0\.0003 ETH ≈ 0\.90 USDT at 3011\.00 \(11:58 UTC\) \| USDT \+ dust at market: 10000\.00$/m,
    );
    assert.match(
      render(terminal([valued, unvalued]), NOW),
      /; 0\.000004 BTC unvalued \(no price when it was left\) \| USDT \+ dust at market: unknown/,
    );
  });

  await t.step("the web page shows the same, escaped, with the raw value kept", () => {
    assert.equal(dustHtml(web([])), "");
    const html = dustHtml(web([valued]));
    assert.match(html, /<b>binance<\/b> dust: 0\.0003 ETH ≈ 0\.90 USDT at 3,011\.00 \(11:58 UTC\)/);
    assert.match(html, /USDT \+ dust at market: <span data-value="10000\.0033">10,000\.00<\/span>/);
    assert.match(dustHtml(web([valued, unvalued])), /BTC unvalued .*>unknown \(some dust unvalued or not assessed\)/);
  });
});
