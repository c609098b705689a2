// The simulator's vocabulary: venues, configuration, markets, quotes, accounts, orders and trades.

export type VenueId = "binance" | "okx";
export const VENUE_IDS: readonly VenueId[] = ["binance", "okx"];

export type OrderSide = "buy" | "sell";
export type OrderType = "limit" | "market";
export type TimeInForce = "GTC" | "IOC" | "FOK";
export type OrderStatus = "new" | "partially_filled" | "filled" | "canceled" | "expired";

/** One market's rules and price-process parameters. Symbols are ccxt unified (`BTC/USDT`). */
export interface MarketConfig {
  symbol: string;
  tickSize: number;
  /** lot step for the base amount */
  stepSize: number;
  minQty: number;
  maxQty: number;
  /** minimum price * amount in quote; 0 disables */
  minNotional: number;
  /** initial mid price */
  price: number;
  /** quoted spread in basis points of mid; at least one tick is always kept */
  spreadBps: number;
  /** standard deviation of the log-mid move per price step, in basis points */
  volatilityBps: number;
  /** mean log-mid move per price step, in basis points */
  driftBps: number;
  /** base amount available at the best bid and best ask per price step: the partial-fill knob */
  topOfBookQty: number;
}

export interface FeeSchedule {
  /** fractions, e.g. 0.001 = 0.1 % */
  maker: number;
  taker: number;
}

export interface AccountConfig {
  apiKey: string;
  secret: string;
  /** OKX only */
  passphrase?: string;
  /** free balances per asset */
  balances: Record<string, number>;
  /** Binance only: "use BNB to pay fees" is on (fills charge BNB while the account holds enough free BNB) */
  bnbFees?: boolean;
}

/** A venue's rate limits; absent figures are the venue's published defaults (rate_limits.ts). */
export interface RateLimitConfig {
  /** enforce (default true); when off the counts and headers still run */
  enabled?: boolean;
  /** Binance: REQUEST_WEIGHT per minute (6000) */
  requestWeightPerMinute?: number;
  /** Binance: ORDERS per 10 s (100) and per day (200 000), per account */
  ordersPer10s?: number;
  ordersPerDay?: number;
  /** Binance: 429 answers within a minute after which the IP is banned (418) */
  banAfter429s?: number;
  /** Binance: the first ban's length; each further ban doubles, up to maxBanMs */
  firstBanMs?: number;
  maxBanMs?: number;
  /** OKX: requests per 2 s by "METHOD /api/v5/path", overriding the defaults */
  per2s?: Record<string, number>;
}

export interface VenueConfig {
  markets: MarketConfig[];
  fees: FeeSchedule;
  accounts: AccountConfig[];
  /** prices step on their own every this many ms of clock time; 0 = only on demand (step()) */
  priceStepIntervalMs: number;
  /** where a client order id must be unique: among open orders (Binance, OKX) or among all orders */
  clientOrderIdScope: "open" | "all";
  /** the first exchange order id; ids count up from here */
  orderIdStart: number;
  /** the venue's server time minus ours, in ms (its /time answers, timestamps and signature windows use it); 0 */
  clockOffsetMs?: number;
  /** "full" (default): the configured markets plus a venue-sized generated listing (catalog.ts); "short": only these */
  marketList?: "full" | "short";
  /** rate limits; on with the venue's published figures by default */
  rateLimits?: RateLimitConfig;
  /** Binance only: discount on fees paid in BNB (0.25 = Binance's 25 %); default 0.25 */
  bnbFeeDiscount?: number;
}

export interface SimConfig {
  binance: VenueConfig;
  okx: VenueConfig;
}

/** A scripted quote: explicit bid/ask, or a mid with an absolute spread. */
export type PricePoint = { bid: number; ask: number } | { mid: number; spread: number };
/** A scripted quote with, optionally, the base amount at its best bid and ask (the partial-fill knob per quote). */
export type ScriptedQuote = PricePoint & { bidQty?: number; askQty?: number };

export interface MarketInfo extends MarketConfig {
  base: string;
  quote: string;
  /** Binance's symbol status; BREAK = listed, orders refused. Absent = TRADING */
  status?: "TRADING" | "BREAK";
}

export interface Quote {
  bid: number;
  ask: number;
  /** liquidity still available at the best bid/ask in this price step */
  bidQty: number;
  askQty: number;
}

export interface SimTicker extends Quote {
  symbol: string;
  last: number;
  open24h: number;
  high24h: number;
  low24h: number;
  /** volume of this simulator's own trades in the last 24 h */
  baseVolume24h: number;
  quoteVolume24h: number;
  timestamp: number;
}

export interface BookLevel {
  price: number;
  qty: number;
}

export interface OrderBookSnapshot {
  symbol: string;
  bids: BookLevel[];
  asks: BookLevel[];
  timestamp: number;
  /** increases with every price step */
  sequence: number;
}

export interface BalanceEntry {
  asset: string;
  free: number;
  locked: number;
}

export interface Account {
  id: string;
  apiKey: string;
  secret: string;
  passphrase?: string;
  /** Binance only: fees are paid in BNB when the account holds enough */
  bnbFees?: boolean;
}

export interface PlaceOrderRequest {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  /** base amount; required except for a market buy sized by quoteAmount */
  amount?: number;
  /** market orders only: spend (buy) or receive (sell) this much quote instead of a base amount */
  quoteAmount?: number;
  /** limit orders only */
  price?: number;
  /** generated (`sim-<n>`) when absent */
  clientOrderId?: string;
  /** default GTC for limit, IOC for market */
  timeInForce?: TimeInForce;
  /** reject instead of taking liquidity (Binance LIMIT_MAKER, OKX post_only) */
  postOnly?: boolean;
  /** a stop order: waits (locking nothing) until the market crosses this price, then works as `type` */
  stopPrice?: number;
}

export interface SimOrder {
  orderId: string;
  clientOrderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  postOnly: boolean;
  /** limit price; undefined for market orders */
  price?: number;
  /** base amount ordered; for a quote-sized market order the amount actually bought or sold */
  amount: number;
  quoteAmount?: number;
  filled: number;
  /** cumulative quote amount of the fills */
  cost: number;
  /** cost / filled, 0 before the first fill */
  average: number;
  feeAsset: string;
  feeTotal: number;
  status: OrderStatus;
  createdAt: number;
  updatedAt: number;
  /** quote still locked for a buy / base still locked for a sell */
  lockedRemaining: number;
  /** stop orders: the trigger price; `triggered` once the market crossed it (until then it locks nothing) */
  stopPrice?: number;
  triggered?: boolean;
  /** the order list (Binance OCO) this order is a leg of */
  orderListId?: string;
  /** an OTOCO's pending leg: status "new" but neither working nor waiting until the working order fills (PENDING_NEW) */
  held?: boolean;
}

export interface SimTrade {
  tradeId: string;
  orderId: string;
  clientOrderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  price: number;
  amount: number;
  cost: number;
  fee: number;
  feeAsset: string;
  isMaker: boolean;
  timestamp: number;
}

export interface OrderRef {
  orderId?: string;
  clientOrderId?: string;
}

export interface TradeQuery {
  symbol?: string;
  orderId?: string;
  /** epoch ms, inclusive */
  since?: number;
  /** epoch ms, inclusive */
  until?: number;
  /** trades with an id greater than or equal to this (Binance fromId) */
  fromId?: number;
  limit?: number;
}
