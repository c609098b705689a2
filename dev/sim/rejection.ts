// Business rejections of the simulated venues, in one vocabulary the venue handlers translate to their codes.

export type RejectionReason =
  | "unknown_symbol"
  | "invalid_parameter"
  | "invalid_price" // price <= 0 or not a multiple of tickSize
  | "invalid_quantity" // amount <= 0 or not a multiple of stepSize
  | "min_quantity"
  | "max_quantity"
  | "min_notional"
  | "insufficient_balance"
  | "duplicate_client_order_id"
  | "post_only_would_take"
  | "order_not_found"
  | "order_not_open" // cancel of a filled/cancelled/expired order
  | "market_closed" // listed but not trading (Binance BREAK)
  | "price_relation"; // an OCO's prices are on the wrong sides of the last price

/** A business rejection; venue handlers turn `reason` into their own error code. */
export class SimRejection extends Error {
  constructor(readonly reason: RejectionReason, message: string) {
    super(message);
    this.name = "SimRejection";
  }
}
