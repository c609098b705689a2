/**
 * Where orders go: the exchange (testnet/live, through the venue client) or the paper engine. The burst and the
 * reconciler speak only this interface, so both modes share every lifecycle rule.
 *
 * Errors are the exchange layer's tree (errors.ts): FinalExchangeError / NeedsHumanError mean "the venue said no",
 * anything else means "we do not know what happened" and is resolved by looking the order up by client order id.
 */
import type { OrderRequest } from "../exchange/venue_client.ts";
import type { TradingMode } from "../settings.ts";
import type { ExchangeOrderView, OrderRow } from "./types.ts";

/** An order built only to be rehearsed: never recorded, never sent (so it has no client order id). */
export type RehearsedOrder = Omit<OrderRequest, "clientOrderId">;

export interface CancelOptions {
  outcomeByPush?: boolean;
}

/** The venue took the cancel; how the order ended (what filled before it, the fees) comes with its pushed update. */
export const CANCEL_REQUESTED = "cancel requested" as const;

/** A position's protection as recorded: a take-profit limit sell and a stop sell of the same amount, one list. */
export interface ProtectionLegs {
  takeProfit: OrderRow;
  stopLoss: OrderRow;
}

/** The venue's answer to a protection list: its id for the list and each leg's view. */
export interface ProtectionView {
  exchangeListId: string | null;
  takeProfit: ExchangeOrderView;
  stopLoss: ExchangeOrderView;
}

export interface OrderExecutor {
  readonly mode: TradingMode;
  /** Sends the recorded order (with its client order id). Never retried by the caller. */
  create(order: OrderRow): Promise<ExchangeOrderView>;
  /**
   * Builds (and signs) an order as `create` would and sends nothing, so the first real order does not pay for the
   * order path running for the first time. Absent where that first run costs nothing worth moving (paper).
   */
  rehearse?(order: RehearsedOrder): Promise<void>;
  /** The venue's view: by exchange id when known, else by client order id. null when the venue does not know it. */
  lookup(order: OrderRow): Promise<ExchangeOrderView | null>;
  /**
   * Cancels; returns the order's view afterwards (filled part kept). null when the venue does not know it. With
   * `outcomeByPush` (the venue's order stream is up and will push the order's last update), a cancel the venue took
   * whose answer does not say how the order ended is not looked up: CANCEL_REQUESTED, and the push settles the row.
   */
  cancel(order: OrderRow): Promise<ExchangeOrderView | null>;
  cancel(order: OrderRow, options?: CancelOptions): Promise<ExchangeOrderView | null | typeof CANCEL_REQUESTED>;
  /**
   * Places both legs as one linked list (one filling cancels the other), sent once like `create`. Absent when the
   * venue (or this executor) cannot hold protection: the burst then decides every exit itself.
   */
  createProtection?(legs: ProtectionLegs): Promise<ProtectionView>;
  /**
   * Every order the venue holds open, in one request; absent where single lookups cost nothing (paper). An order of
   * ours missing from the list has left it (filled, cancelled, expired) and is looked up on its own.
   */
  listOpen?(): Promise<ExchangeOrderView[]>;
  /** Whether one listOpen costs less of the venue's limits than `lookups` single lookups. */
  prefersOpenList?(lookups: number): boolean;
  /**
   * What the venue's limits let out now without waiting: single lookups, and whether one listOpen. Without it,
   * everything is affordable (the paper ledger).
   */
  affordableRefreshes?(): { lookups: number; openList: boolean };
  /**
   * How many entry orders the venue's limits let out now without waiting, leaving the share kept for exits,
   * protection and cancels. Without it, no limit (the paper ledger).
   */
  affordableEntries?(): number;
  /** Free balance per asset (only the assets asked for). */
  freeBalances(assets: readonly string[]): Promise<Record<string, number>>;
}
