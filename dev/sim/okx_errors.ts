// OKX v5 error answers: request-level codes in the `{ code, msg, data }` envelope, and per-order `sCode`s.
// Codes and HTTP statuses follow OKX's REST error-code table; the ccxt class each produces (okx.js `exceptions.exact`)
// is noted so the simulator fails the way the real venue does.

import type { RejectionReason } from "./rejection.ts";

/** A request-level failure: the handler answers `{ code, msg, data: [] }` with this HTTP status. */
export class OkxApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "OkxApiError";
  }
}

/** A per-order failure inside a trade answer (`data[i].sCode` / `sMsg`). */
export interface OkxOrderFailure {
  sCode: string;
  sMsg: string;
}

// --- request level (authentication, parameters) ------------------------------------------------------------------

/** 50103: Request header "OK-ACCESS-KEY" cannot be empty (ccxt AuthenticationError). */
export const missingHeader = (header: string, code: string) =>
  new OkxApiError(401, code, `Request header "${header}" cannot be empty.`);

/** 50111: Invalid OK-ACCESS-KEY (ccxt AuthenticationError). */
export const invalidKey = () => new OkxApiError(401, "50111", "Invalid OK-ACCESS-KEY.");

/** 50112: Invalid OK-ACCESS-TIMESTAMP (ccxt AuthenticationError). */
export const invalidTimestamp = () => new OkxApiError(401, "50112", "Invalid OK-ACCESS-TIMESTAMP.");

/** 50102: Timestamp request expired (ccxt InvalidNonce). */
export const expiredTimestamp = () => new OkxApiError(401, "50102", "Timestamp request expired.");

/** 50011: a per-endpoint rate limit was exceeded (HTTP 429; ccxt RateLimitExceeded). */
export const tooManyRequests = () => new OkxApiError(429, "50011", "Too Many Requests");

/** 50105: Request header "OK-ACCESS-PASSPHRASE" incorrect (ccxt AuthenticationError). */
export const wrongPassphrase = () => new OkxApiError(401, "50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.');

/** 50113: Invalid signature (ccxt AuthenticationError). */
export const invalidSignature = () => new OkxApiError(401, "50113", "Invalid Sign.");

/** 50014: Parameter {0} cannot be empty (ccxt BadRequest). */
export const emptyParameter = (name: string) => new OkxApiError(400, "50014", `Parameter ${name} cannot be empty.`);

/** 51000: Parameter {0} error (ccxt BadRequest). */
export const parameterError = (name: string) => new OkxApiError(400, "51000", `Parameter ${name} error`);

/** 50000: Body cannot be empty (ccxt BadRequest). */
export const emptyBody = () => new OkxApiError(400, "50000", "Body cannot be empty.");

/** 50002: JSON syntax error (ccxt BadRequest). */
export const jsonSyntaxError = () => new OkxApiError(400, "50002", "JSON syntax error");

/** 50115: Invalid request method (ccxt BadRequest). */
export const invalidMethod = () => new OkxApiError(405, "50115", "Invalid request method.");

/** 51001: Instrument ID does not exist (ccxt BadSymbol). */
export const unknownInstrument = (instId: string) =>
  new OkxApiError(200, "51001", `Instrument ID ${instId} does not exist.`);

/** 51003: Either client order ID or order ID is required (ccxt BadRequest). */
export const orderIdRequired = () => new OkxApiError(200, "51003", "Either client order ID or order ID is required.");

/** 51603: Order does not exist (ccxt OrderNotFound) — what GET /trade/order answers for an unknown order. */
export const orderDoesNotExist = () => new OkxApiError(200, "51603", "Order does not exist");

// --- per order ---------------------------------------------------------------------------------------------------

/**
 * The sCode OKX gives when placing an order fails for `reason`. Each comment names the class ccxt raises.
 * A price off the tick grid is a plain parameter error on OKX (51000 → BadRequest), not an InvalidOrder.
 */
export function placementFailure(reason: RejectionReason, detail: string, ccy = ""): OkxOrderFailure {
  switch (reason) {
    case "unknown_symbol":
      return { sCode: "51001", sMsg: "Instrument ID does not exist." }; // BadSymbol
    case "invalid_price":
      return { sCode: "51000", sMsg: "Parameter px error" }; // BadRequest
    case "invalid_quantity":
      return { sCode: "51121", sMsg: "Order quantity must be a multiple of the lot size." }; // InvalidOrder
    case "min_quantity":
    case "min_notional":
      return { sCode: "51020", sMsg: "Your order should meet or exceed the minimum order amount." }; // InvalidOrder
    case "max_quantity":
      return { sCode: "51203", sMsg: `Order amount exceeds the limit. ${detail}` }; // InvalidOrder
    case "insufficient_balance":
      return { sCode: "51008", sMsg: `Order failed. Insufficient ${ccy} balance in account.` }; // InsufficientFunds
    case "duplicate_client_order_id":
      return { sCode: "51016", sMsg: "Duplicated clOrdId." }; // InvalidOrder
    case "post_only_would_take":
      // OKX has no dedicated placement code here; the simulator refuses with a parameter error naming the cause.
      return { sCode: "51000", sMsg: "Parameter ordType error: a post-only order would take liquidity" }; // BadRequest
    case "price_relation":
    case "market_closed": // the generated OKX listing has no suspended instruments; kept for completeness
    case "invalid_parameter":
    case "order_not_found":
    case "order_not_open":
      return { sCode: "51000", sMsg: `Parameter error: ${detail}` }; // BadRequest
  }
}

/** The sCode OKX gives when cancelling fails: unknown (51400), already canceled (51401), already done (51402). */
export function cancelFailure(reason: RejectionReason, status?: string): OkxOrderFailure {
  if (reason === "order_not_open") {
    return status === "canceled" || status === "expired"
      ? { sCode: "51401", sMsg: "Order cancellation failed as the order has been canceled." } // OrderNotFound
      : { sCode: "51402", sMsg: "Order cancellation failed as the order has been completed." }; // OrderNotFound
  }
  return { sCode: "51400", sMsg: "Order cancellation failed as the order does not exist." }; // OrderNotFound
}
