/**
 * The paper account: a starting USDT balance moved by the fills of paper orders. Pure: the orders come in as rows
 * (as PostgREST returns them), the balances go out in the same shape the exchange layer gives.
 *
 * - a fill moves quote and base by its cost and filled amount (buy: quote out, base in; sell: the reverse),
 * - a fee is taken from its fee currency (a negative fee, a maker rebate, adds),
 * - what still rests on the book is `used`: a resting buy locks remaining × price of quote, a resting sell locks the
 *   remaining base; the two legs of a protection list sell the same base, so a list locks it once: the list's amount
 *   less what its legs sold, at most the largest remaining of its resting legs.
 * A ledger that goes negative means the paper orders are inconsistent; that is an error, not something to clip.
 */
import { z } from "zod";
import type { Balances } from "../exchange/venue_client.ts";
import { numeric } from "../numeric_text.ts";
import { pairOf } from "../trading/pnl.ts";
import { SYMBOL_PATTERN } from "../trading/symbol.ts";

export const PAPER_ORDER_COLUMNS =
  "client_order_id, symbol, side, type, price, amount, filled, remaining, average, cost, fee_cost, fee_currency, order_status, list_client_id";

const number = () => numeric(z.number());

const paperOrderSchema = z.object({
  client_order_id: z.string(),
  symbol: z.string().regex(SYMBOL_PATTERN),
  side: z.enum(["buy", "sell"]),
  type: z.enum(["limit", "market", "stop"]),
  price: number().nullable(),
  amount: number(),
  filled: number(),
  remaining: number().nullable(),
  average: number().nullable(),
  cost: number().nullable(),
  fee_cost: number().nullable(),
  fee_currency: z.string().nullable(),
  order_status: z.string(),
  /** Protection legs: the linked pair they belong to (both legs sell the same base, locked once). */
  list_client_id: z.string().nullable().optional(),
});
export type PaperOrder = z.infer<typeof paperOrderSchema>;

/** Order states whose unfilled rest still sits on the (paper) book. */
const RESTING = new Set(["open", "partially_filled"]);

export class PaperLedgerError extends Error {
  override name = "PaperLedgerError";
}

/** Rounds away float noise (0.1 + 0.2) without hiding real amounts: 12 decimals is below any venue's precision. */
const clean = (n: number) => Math.round(n * 1e12) / 1e12 + 0;

export function paperBalances(startingUsdt: number, rows: readonly unknown[]): Balances {
  const totals = new Map<string, number>([["USDT", startingUsdt]]);
  const used = new Map<string, number>();
  const add = (map: Map<string, number>, asset: string, delta: number) => map.set(asset, (map.get(asset) ?? 0) + delta);
  const lists = new Map<string, { base: string; amount: number; sold: number; resting: number }>();

  rows.forEach((row, index) => {
    const parsed = paperOrderSchema.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid";
      throw new PaperLedgerError(`paper order #${index}: ${where}`);
    }
    const order = parsed.data;
    const { base, quote } = pairOf(order.symbol);
    if (order.filled > 0) {
      const cost = order.cost ?? (order.average !== null ? order.filled * order.average : null);
      if (cost === null) {
        throw new PaperLedgerError(`paper order ${order.client_order_id}: filled without cost or average price`);
      }
      const sign = order.side === "buy" ? 1 : -1;
      add(totals, quote, -sign * cost);
      add(totals, base, sign * order.filled);
    }
    if (order.fee_cost !== null && order.fee_cost !== 0) {
      if (!order.fee_currency) {
        throw new PaperLedgerError(`paper order ${order.client_order_id}: fee_cost without fee_currency`);
      }
      add(totals, order.fee_currency, -order.fee_cost);
    }
    const list = order.list_client_id
      ? lists.get(order.list_client_id) ?? { base, amount: 0, sold: 0, resting: 0 }
      : null;
    if (list && order.list_client_id) {
      list.amount = Math.max(list.amount, order.amount);
      list.sold += order.filled;
      lists.set(order.list_client_id, list);
    }
    if (RESTING.has(order.order_status)) {
      const remaining = order.remaining ?? Math.max(0, order.amount - order.filled);
      if (list) list.resting = Math.max(list.resting, remaining);
      else if (order.side === "sell") add(used, base, remaining);
      else if (order.price !== null) add(used, quote, remaining * order.price);
    }
  });

  for (const list of lists.values()) add(used, list.base, Math.max(0, Math.min(list.resting, list.amount - list.sold)));

  const out: Balances = {};
  for (const [asset, rawTotal] of totals) {
    const total = clean(rawTotal);
    const locked = clean(used.get(asset) ?? 0);
    if (total < 0) throw new PaperLedgerError(`paper ledger: ${asset} total would be negative (${total})`);
    if (locked > total) throw new PaperLedgerError(`paper ledger: ${asset} locked ${locked} exceeds total ${total}`);
    out[asset] = { free: clean(total - locked), used: locked, total };
  }
  for (const [asset, locked] of used) {
    if (!totals.has(asset) && clean(locked) > 0) {
      throw new PaperLedgerError(`paper ledger: ${asset} locked ${clean(locked)} but never held`);
    }
  }
  return out;
}
