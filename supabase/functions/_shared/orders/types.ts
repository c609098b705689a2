/**
 * The shapes the order store and the burst share: one `orders` row, one `positions` row, and an exchange's answer
 * about an order, normalized. Column names follow docs/CONTRACTS.md so a row maps onto the table one to one.
 */
import type { OrderStatus } from "../trading/lifecycle.ts";
import type { TradingMode } from "../settings.ts";
import type { Venue } from "../exchange/venues.ts";

export type OrderSide = "buy" | "sell";
/** `stop`: a stop-loss sell that triggers at `trigger_price` (then a limit at `price`, or a market sell without one). */
export type OrderType = "limit" | "market" | "stop";
/** take_profit / stop_loss: the legs of a position's protection on the venue (protection.ts). */
export type OrderPurpose = "entry" | "exit" | "take_profit" | "stop_loss";
export const PROTECTION_PURPOSES: readonly OrderPurpose[] = ["take_profit", "stop_loss"];
export function isProtectionLeg(order: Pick<OrderRow, "purpose">): boolean {
  return order.purpose === "take_profit" || order.purpose === "stop_loss";
}

/**
 * Oldest first. Timestamps come from the tables (PostgREST's offset form) and from the burst's memory (toISOString),
 * so they are compared as instants, not as text; localeCompare cost many times more (ICU collation), and this sort
 * runs for every position at every preparation.
 */
export const byCreated = (a: Pick<OrderRow, "created_at">, b: Pick<OrderRow, "created_at">) =>
  Date.parse(a.created_at) - Date.parse(b.created_at);

export interface OrderRow {
  id: string;
  client_order_id: string;
  exchange_order_id: string | null;
  venue: Venue;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  /** null for market orders. */
  price: number | null;
  amount: number;
  filled: number;
  remaining: number | null;
  average: number | null;
  cost: number;
  fee_cost: number | null;
  fee_currency: string | null;
  /** A third-currency fee's price in quote when it was valued (issue 14); null = not valued (yet). */
  fee_rate_used?: number | null;
  /** fee_cost × fee_rate_used, in quote. */
  fee_valued_usd?: number | null;
  order_status: OrderStatus;
  purpose: OrderPurpose;
  position_id: string | null;
  mode: TradingMode;
  last_error: string | null;
  raw: unknown;
  /** Stop legs: the trigger. Absent (or null) on every other order. */
  trigger_price?: number | null;
  /** Protection legs: our id of the linked pair both legs belong to. */
  list_client_id?: string | null;
  /** Protection legs: the venue's id of that list, once it answered. */
  exchange_list_id?: string | null;
  created_at: string;
  submitted_at: string | null;
  updated_at: string;
  closed_at: string | null;
}

/** What `recordIntent` needs to write the row before the order leaves. */
export interface OrderIntent {
  client_order_id: string;
  venue: Venue;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  price: number | null;
  amount: number;
  purpose: OrderPurpose;
  position_id: string | null;
  mode: TradingMode;
  trigger_price?: number | null;
  list_client_id?: string | null;
}

export type PositionStatus = "opening" | "open" | "closing" | "closed" | "failed";
export const ACTIVE_POSITION_STATUSES: readonly PositionStatus[] = ["opening", "open", "closing"];
export type ExitReason = "take_profit" | "stop_loss" | "time_stop" | "kill_switch" | "manual";

export interface PositionRow {
  id: string;
  venue: Venue;
  symbol: string;
  side: "long";
  status: PositionStatus;
  mode: TradingMode;
  /** Base bought (before base-asset fees), from fills. */
  entry_qty: number;
  entry_avg_px: number | null;
  /** Every entry fee in quote currency. */
  entry_fees_usd: number;
  exit_qty: number;
  exit_avg_px: number | null;
  exit_fees_usd: number;
  realized_pnl: number | null;
  exit_reason: ExitReason | null;
  opened_at: string;
  closed_at: string | null;
  updated_at: string;
  /** True while the bot cannot close it by itself (exits refused repeatedly); it keeps retrying. Absent = false. */
  needs_attention?: boolean;
  /** Why it needed a person, and what was done. */
  attention?: string | null;
  /**
   * Base left in the wallet at close, below what the venue lets us sell (lot step, minimums); 0 for none, null for
   * positions closed before the dust books existed (not assessed).
   */
  dust_qty?: number | null;
  /** The entry outlay (cost + fees) the dust carries: not in realized_pnl. */
  dust_cost_usd?: number | null;
  /** The price the dust is valued at, when and where it came from; all null = unvalued (no price was at hand). */
  dust_px?: number | null;
  dust_priced_at?: string | null;
  dust_price_source?: DustPriceSource | null;
  /** dust_qty × dust_px. */
  dust_value_usd?: number | null;
}

/** `bid`: the burst's latest quote of the symbol; `exit_fill`: the position's last exit fill (no quote at hand). */
export type DustPriceSource = "bid" | "exit_fill";

/** The mutable part of a position: what the burst writes as fills arrive. */
export type PositionPatch = Partial<
  Pick<
    PositionRow,
    | "status"
    | "entry_qty"
    | "entry_avg_px"
    | "entry_fees_usd"
    | "exit_qty"
    | "exit_avg_px"
    | "exit_fees_usd"
    | "realized_pnl"
    | "exit_reason"
    | "closed_at"
    | "needs_attention"
    | "attention"
    | "dust_qty"
    | "dust_cost_usd"
    | "dust_px"
    | "dust_priced_at"
    | "dust_price_source"
    | "dust_value_usd"
  >
>;

/**
 * An exchange's (or the paper engine's) view of one order, normalized: status already mapped to ours, numbers
 * finite, fees summed in one currency when the venue said which.
 */
export interface ExchangeOrderView {
  exchangeOrderId: string | null;
  clientOrderId: string | null;
  status: OrderStatus;
  filled: number;
  remaining: number | null;
  average: number | null;
  cost: number;
  /** The order's limit price and amount as the venue states them, when it does (adopting an armed order needs them). */
  price?: number | null;
  amount?: number | null;
  /** null when the venue did not report fees on this answer (Binance's GET order never does). */
  feeCost: number | null;
  feeCurrency: string | null;
  raw: unknown;
}

/** The trade_logs row written when a position closes (legacy columns plus ours). */
export interface TradeLogRow {
  venue: Venue;
  symbol: string;
  side: "long";
  size_usd: number;
  entry_px: number;
  exit_px: number;
  pnl: number;
  dur_seconds: number;
  ts: string;
  order_id: string | null;
  order_status: OrderStatus;
  position_id: string;
  fees_usd: number;
}
