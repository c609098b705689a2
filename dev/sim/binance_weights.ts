// Binance spot request weights per endpoint, as the spot API docs publish them (REQUEST_WEIGHT, per IP).

/** How many symbols a `symbols=[...]` parameter names (0 when absent or unreadable). */
function symbolCount(params: URLSearchParams): number {
  const raw = params.get("symbols");
  if (!raw) return 0;
  try {
    const ids = JSON.parse(raw);
    return Array.isArray(ids) ? ids.length : 0;
  } catch {
    return 0;
  }
}

function depthWeight(params: URLSearchParams): number {
  const limit = Number(params.get("limit") ?? 100);
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

/** ticker/24hr: one symbol 2; a symbols list 2 (1-20), 40 (21-100), 80 (more); everything 80. */
function ticker24hWeight(params: URLSearchParams): number {
  if (params.get("symbol")) return 2;
  const n = symbolCount(params);
  if (n === 0) return 80;
  if (n <= 20) return 2;
  if (n <= 100) return 40;
  return 80;
}

/** The weight of one request ("METHOD /api/v3/path"); unknown endpoints weigh 1. */
export function binanceWeight(key: string, params: URLSearchParams): number {
  switch (key) {
    case "GET /api/v3/ping":
    case "GET /api/v3/time":
      return 1;
    case "GET /api/v3/exchangeInfo":
      return 20;
    case "GET /api/v3/depth":
      return depthWeight(params);
    case "GET /api/v3/ticker/24hr":
      return ticker24hWeight(params);
    case "GET /api/v3/ticker/price":
    case "GET /api/v3/ticker/bookTicker":
      return params.get("symbol") ? 2 : 4;
    case "GET /api/v3/account":
      return 20;
    case "POST /api/v3/order":
    case "DELETE /api/v3/order":
    case "DELETE /api/v3/openOrders":
    case "POST /api/v3/orderList/oco":
    case "POST /api/v3/orderList/otoco":
    case "DELETE /api/v3/orderList":
      return 1;
    case "GET /api/v3/order":
    case "GET /api/v3/orderList":
      return 4;
    case "GET /api/v3/openOrders":
      return params.get("symbol") ? 6 : 80;
    case "GET /api/v3/openOrderList":
      return 6;
    case "GET /api/v3/allOrders":
    case "GET /api/v3/allOrderList":
      return 20;
    case "GET /api/v3/myTrades":
      return params.get("orderId") ? 5 : 20;
    default:
      return 1;
  }
}
