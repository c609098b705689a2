// OKX v5 response objects built from engine state. Every number is a decimal string (never exponent notation), empty
// fields are "", and field names follow OKX's docs for SPOT; ccxt's okx.js reads the subset noted per shape.

import type { BalanceEntry, MarketInfo, OrderBookSnapshot, SimOrder, SimTicker, SimTrade } from "./types.ts";

/** Plain decimal text: 0.00001 stays "0.00001" (not "1e-5"), trailing zeros go. */
export function dec(value: number, decimals = 12): string {
  if (!Number.isFinite(value)) return "";
  const text = value.toFixed(decimals);
  const trimmed = text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
  return trimmed === "-0" ? "0" : trimmed;
}

/** `BTC/USDT` → `BTC-USDT`. */
export function instIdOf(symbol: string): string {
  return symbol.replace("/", "-");
}

/** `BTC-USDT` → `BTC/USDT`. */
export function symbolOf(instId: string): string {
  return instId.replace("-", "/");
}

/** GET /api/v5/public/instruments?instType=SPOT entry (ccxt parseMarket: instId, baseCcy, quoteCcy, tickSz, lotSz, minSz, maxLmtSz, state). */
export function instrumentShape(market: MarketInfo, listTime: number): Record<string, string> {
  return {
    alias: "",
    auctionEndTime: "",
    baseCcy: market.base,
    category: "1",
    ctMult: "",
    ctType: "",
    ctVal: "",
    ctValCcy: "",
    expTime: "",
    instFamily: "",
    instId: instIdOf(market.symbol),
    instType: "SPOT",
    lever: "",
    listTime: String(listTime),
    lotSz: dec(market.stepSize),
    maxIcebergSz: dec(market.maxQty),
    maxLmtAmt: "20000000",
    maxLmtSz: dec(market.maxQty),
    maxMktAmt: "1000000",
    maxMktSz: "1000000",
    maxStopSz: "1000000",
    maxTriggerSz: dec(market.maxQty),
    maxTwapSz: dec(market.maxQty),
    minSz: dec(market.minQty),
    optType: "",
    quoteCcy: market.quote,
    ruleType: "normal",
    settleCcy: "",
    state: "live",
    stk: "",
    tickSz: dec(market.tickSize),
    uly: "",
  };
}

/** GET /api/v5/market/ticker(s) entry (ccxt parseTicker: last, askPx/askSz, bidPx/bidSz, open24h, high24h, low24h, vol24h, volCcy24h, ts). */
export function tickerShape(ticker: SimTicker, lastSize: number): Record<string, string> {
  return {
    instType: "SPOT",
    instId: instIdOf(ticker.symbol),
    last: dec(ticker.last),
    lastSz: dec(lastSize),
    askPx: dec(ticker.ask),
    askSz: dec(ticker.askQty),
    bidPx: dec(ticker.bid),
    bidSz: dec(ticker.bidQty),
    open24h: dec(ticker.open24h),
    high24h: dec(ticker.high24h),
    low24h: dec(ticker.low24h),
    volCcy24h: dec(ticker.quoteVolume24h),
    vol24h: dec(ticker.baseVolume24h),
    ts: String(ticker.timestamp),
    sodUtc0: dec(ticker.open24h),
    sodUtc8: dec(ticker.open24h),
  };
}

/** GET /api/v5/market/books entry: levels are [price, size, "0" (deprecated), order count]. */
export function bookShape(book: OrderBookSnapshot, depth: number): Record<string, unknown> {
  const level = (l: { price: number; qty: number }) => [dec(l.price), dec(l.qty), "0", "1"];
  return {
    asks: book.asks.slice(0, depth).map(level),
    bids: book.bids.slice(0, depth).map(level),
    ts: String(book.timestamp),
    seqId: book.sequence,
  };
}

/**
 * One currency of GET /api/v5/account/balance `details` for a spot (simple) account: availEq is "" there, so ccxt
 * parseTradingBalance reads free = availBal, used = frozenBal, total = eq.
 */
export function balanceDetailShape(entry: BalanceEntry, usdPrice: number | undefined, now: number) {
  const total = entry.free + entry.locked;
  return {
    availBal: dec(entry.free),
    availEq: "",
    borrowFroz: "",
    cashBal: dec(total),
    ccy: entry.asset,
    crossLiab: "",
    disEq: usdPrice === undefined ? "" : dec(total * usdPrice, 8),
    eq: dec(total),
    eqUsd: usdPrice === undefined ? "" : dec(total * usdPrice, 8),
    fixedBal: "0",
    frozenBal: dec(entry.locked),
    imr: "",
    interest: "",
    isoEq: "",
    isoLiab: "",
    isoUpl: "",
    liab: "",
    maxLoan: "",
    mgnRatio: "",
    mmr: "",
    notionalLever: "",
    ordFrozen: dec(entry.locked),
    spotInUseAmt: "",
    stgyEq: "0",
    twap: "0",
    uTime: String(now),
    upl: "",
    uplLiab: "",
  };
}

/** OKX's order states; the engine's "expired" (IOC/FOK/market remainder) is "canceled" on OKX. */
export function okxState(order: SimOrder): string {
  switch (order.status) {
    case "new":
      return "live";
    case "partially_filled":
      return "partially_filled";
    case "filled":
      return "filled";
    case "canceled":
    case "expired":
      return "canceled";
  }
}

/** What the order was sent as: OKX's ordType and how `sz` is denominated. */
export interface OrderOrigin {
  ordType: string;
  tgtCcy: "base_ccy" | "quote_ccy";
  tag: string;
}

/** The ordType an engine order maps back to when no origin was recorded. */
export function defaultOrigin(order: SimOrder): OrderOrigin {
  let ordType: string = order.type;
  if (order.type === "limit") {
    if (order.postOnly) ordType = "post_only";
    else if (order.timeInForce === "IOC") ordType = "ioc";
    else if (order.timeInForce === "FOK") ordType = "fok";
  }
  return { ordType, tgtCcy: order.quoteAmount !== undefined ? "quote_ccy" : "base_ccy", tag: "" };
}

/**
 * GET /api/v5/trade/order (and orders-pending / orders-history) entry. ccxt parseOrder reads ordId, clOrdId, cTime,
 * uTime, fillTime, side, ordType, instId, accFillSz, px, avgPx, state, fee (negative = paid), feeCcy, sz, tgtCcy.
 */
export function orderShape(order: SimOrder, market: MarketInfo, origin: OrderOrigin, lastFill?: SimTrade) {
  const quoteSized = origin.tgtCcy === "quote_ccy" && order.quoteAmount !== undefined;
  return {
    accFillSz: dec(order.filled),
    algoClOrdId: "",
    algoId: "",
    attachAlgoClOrdId: "",
    attachAlgoOrds: [],
    avgPx: order.filled > 0 ? dec(order.average) : "",
    cTime: String(order.createdAt),
    cancelSource: "",
    cancelSourceReason: "",
    category: "normal",
    ccy: "",
    clOrdId: order.clientOrderId,
    fee: dec(-order.feeTotal),
    feeCcy: order.feeAsset,
    fillPx: lastFill ? dec(lastFill.price) : "",
    fillSz: lastFill ? dec(lastFill.amount) : "0",
    fillTime: lastFill ? String(lastFill.timestamp) : "",
    instId: instIdOf(order.symbol),
    instType: "SPOT",
    isTpLimit: "false",
    lever: "",
    linkedAlgoOrd: { algoId: "" },
    ordId: order.orderId,
    ordType: origin.ordType,
    pnl: "0",
    posSide: "net",
    px: order.price === undefined ? "" : dec(order.price),
    pxType: "",
    pxUsd: "",
    pxVol: "",
    quickMgnType: "",
    rebate: "0",
    rebateCcy: market.quote,
    reduceOnly: "false",
    side: order.side,
    slOrdPx: "",
    slTriggerPx: "",
    slTriggerPxType: "",
    source: "",
    state: okxState(order),
    stpId: "",
    stpMode: "cancel_maker",
    sz: quoteSized ? dec(order.quoteAmount!) : dec(order.amount),
    tag: origin.tag,
    tdMode: "cash",
    // OKX only reports the size unit for market orders.
    tgtCcy: order.type === "market" ? origin.tgtCcy : "",
    tpOrdPx: "",
    tpTriggerPx: "",
    tpTriggerPxType: "",
    tradeId: lastFill ? lastFill.tradeId : "",
    uTime: String(order.updatedAt),
  };
}

/**
 * GET /api/v5/trade/fills(-history) entry. ccxt parseTrade reads tradeId, instId, ts, fillPx, fillSz, side, ordId,
 * fee (negative = paid), feeCcy, execType (T taker / M maker). billId is the pagination cursor (after/before).
 */
export function fillShape(trade: SimTrade, feeRate: number) {
  return {
    billId: trade.tradeId,
    clOrdId: trade.clientOrderId,
    execType: trade.isMaker ? "M" : "T",
    fee: dec(-trade.fee),
    feeCcy: trade.feeAsset,
    feeRate: dec(-feeRate),
    fillFwdPx: "",
    fillIdxPx: "",
    fillMarkPx: "",
    fillMarkVol: "",
    fillPnl: "0",
    fillPx: dec(trade.price),
    fillPxUsd: "",
    fillPxVol: "",
    fillSz: dec(trade.amount),
    fillTime: String(trade.timestamp),
    instId: instIdOf(trade.symbol),
    instType: "SPOT",
    ordId: trade.orderId,
    posSide: "net",
    side: trade.side,
    subType: trade.side === "buy" ? "1" : "2",
    tag: "",
    tradeId: trade.tradeId,
    ts: String(trade.timestamp),
  };
}
