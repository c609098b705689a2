/**
 * The venues' order placement paths (POST), on their own so the burst process's preload (order_departures_preload.ts)
 * can use them without loading the bench's analysis. ccxt's okx places single orders through batch-orders by default
 * (options.createOrder).
 */
export const ORDER_PATHS: Readonly<Record<"binance" | "okx", readonly string[]>> = {
  binance: ["/api/v3/order"],
  okx: ["/api/v5/trade/order", "/api/v5/trade/batch-orders"],
};
