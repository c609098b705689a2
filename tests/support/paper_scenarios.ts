/**
 * Helpers for the paper-mode trade-burst scenarios (tests/e2e/trade_burst_paper_test.ts): the rows paper orders
 * leave behind, what a whole paper fill must give (computed here from the simulator's fee schedule, independently of
 * the bot's fill engine and pnl code), and the two invariants every paper scenario ends with: no private request
 * reached the simulator, and the simulator's books hold no order.
 */
import assert from "node:assert/strict";
import type { VenueId } from "../../dev/sim/types.ts";
import type { Simulator } from "../../dev/sim/server.ts";
import type { Sql } from "./sql.ts";

/** The env variables that carry exchange keys (docs/CONTRACTS.md, Functions). */
export const EXCHANGE_KEY_VARIABLES = [
  "BINANCE_API_KEY",
  "BINANCE_API_SECRET",
  "OKX_API_KEY",
  "OKX_API_SECRET",
  "OKX_PASSPHRASE",
] as const;

/** Which exchange key variables `env` sets (non-empty). */
export function exchangeKeysIn(env: Record<string, string | undefined>): string[] {
  return EXCHANGE_KEY_VARIABLES.filter((name) => (env[name] ?? "") !== "");
}

// ---- rows -----------------------------------------------------------------------------------------------------------

export interface PaperOrderRow {
  client_order_id: string;
  exchange_order_id: string | null;
  venue: string;
  symbol: string;
  side: string;
  type: string;
  purpose: string;
  mode: string;
  price: string | null;
  amount: string;
  filled: string;
  average: string | null;
  cost: string | null;
  fee_cost: string | null;
  fee_currency: string | null;
  order_status: string;
  position_id: string | null;
  raw: { paper?: boolean; isMaker?: boolean | null } | null;
  /** Seconds from the row's creation to its final state (null while not final). */
  seconds_to_close: string | null;
}

export async function paperOrderRows(sql: Sql): Promise<PaperOrderRow[]> {
  return await sql<PaperOrderRow[]>`
    select client_order_id, exchange_order_id, venue, symbol, side, type, purpose, mode, price::text, amount::text,
           filled::text, average::text, cost::text, fee_cost::text, fee_currency, order_status, position_id::text, raw,
           extract(epoch from closed_at - created_at)::text as seconds_to_close
    from public.orders order by created_at, client_order_id`;
}

export interface PaperPositionRow {
  id: string;
  venue: string;
  symbol: string;
  status: string;
  mode: string;
  entry_qty: string;
  entry_avg_px: string | null;
  exit_qty: string;
  exit_avg_px: string | null;
  realized_pnl: string | null;
  exit_reason: string | null;
  /** Seconds the position was held (null while not closed). */
  seconds_open: string | null;
}

export async function paperPositionRows(sql: Sql): Promise<PaperPositionRow[]> {
  return await sql<PaperPositionRow[]>`
    select id::text, venue, symbol, status, mode, entry_qty::text, entry_avg_px::text, exit_qty::text,
           exit_avg_px::text, realized_pnl::text, exit_reason,
           extract(epoch from closed_at - opened_at)::text as seconds_open
    from public.positions order by opened_at`;
}

export interface TradeLogRow {
  venue: string;
  symbol: string;
  size_usd: string;
  entry_px: string;
  exit_px: string;
  pnl: string;
  order_id: string | null;
  order_status: string | null;
  position_id: string;
}

export async function tradeLogRows(sql: Sql): Promise<TradeLogRow[]> {
  return await sql<TradeLogRow[]>`
    select venue, symbol, size_usd::text, entry_px::text, exit_px::text, pnl::text, order_id, order_status,
           position_id::text
    from public.trade_logs order by ts`;
}

// ---- what a paper fill must give ------------------------------------------------------------------------------------

/** A venue's fee schedule as the simulator is configured (fractions: 0.001 = 0.1 %). */
export interface FeeRates {
  maker: number;
  taker: number;
}

export interface ExpectedFill {
  qty: number;
  price: number;
  cost: number;
  /** In the base asset for a buy, in the quote asset for a sell (spot venues without a fee token). */
  fee: number;
}

/**
 * A whole paper fill of `qty` at `price`: a resting limit buy the ask came down to fills at its own price as a maker;
 * a market sell fills at the bid as a taker.
 */
export function expectedFill(
  side: "buy" | "sell",
  qty: number,
  price: number,
  rate: number,
): ExpectedFill {
  const cost = qty * price;
  return { qty, price, cost, fee: side === "buy" ? qty * rate : cost * rate };
}

/**
 * Realized PnL of a long from its fills: exit proceeds less their quote fee, less the entry outlay for the share of
 * the coins that arrived (the buy fee was taken in the base asset) that the exit sold.
 */
export function expectedLongPnl(entry: ExpectedFill, exit: ExpectedFill): number {
  const held = entry.qty - entry.fee;
  return exit.cost - exit.fee - entry.cost * (exit.qty / held);
}

/** What the exit can sell: the coins that arrived after the base-asset fee, floored to the lot step. */
export function sellableQty(entry: ExpectedFill, stepSize: number): number {
  return Math.floor((entry.qty - entry.fee) / stepSize + 1e-9) * stepSize;
}

export function assertClose(actual: number, expected: number, what: string, tolerance = 1e-8): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs expected ${expected} (diff ${actual - expected})`,
  );
}

// ---- the simulator saw nothing private ------------------------------------------------------------------------------

/**
 * Asserts that every request the simulator logged after `afterId` was a public read: no API key header, no
 * signature, nothing but GET. Returns how many requests there were.
 */
export function assertOnlyPublicReads(sim: Simulator, afterId: number): number {
  const requests = sim.requestLog.list({ afterId });
  const privateOnes = requests.filter((r) => r.private || r.signed).map((r) => `${r.venue} ${r.method} ${r.path}`);
  assert.deepEqual(privateOnes, [], "no private or signed request reached the simulator");
  const writes = requests.filter((r) => r.method !== "GET").map((r) => `${r.venue} ${r.method} ${r.path}`);
  assert.deepEqual(writes, [], "nothing but reads reached the simulator");
  return requests.length;
}

/** Asserts that no account on any simulated venue holds an order (open or historical). */
export function assertSimulatorHoldsNoOrders(sim: Simulator): void {
  for (const venue of ["binance", "okx"] as const satisfies readonly VenueId[]) {
    for (const account of sim.engines[venue].listAccounts()) {
      const held = sim.engines[venue].allOrders(account.id).map((o) => o.clientOrderId);
      assert.deepEqual(held, [], `the ${venue} simulator holds no order for ${account.id}`);
    }
  }
}
