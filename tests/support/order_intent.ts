/** A limit buy of 0.05 ETH/USDT on Binance testnet at 3000, as the unit tests record it; fields overridden as given. */
import { newClientOrderId } from "../../supabase/functions/_shared/orders/client_order_id.ts";
import type { NewOrder } from "../../supabase/functions/_shared/orders/order_tracker.ts";
import type { OrderIntent } from "../../supabase/functions/_shared/orders/types.ts";

/** The order as a caller hands it to OrderTracker.track (the tracker picks the client order id). */
export function newOrder(overrides: Partial<NewOrder> = {}): NewOrder {
  return {
    venue: "binance",
    symbol: "ETH/USDT",
    side: "buy",
    type: "limit",
    price: 3000,
    amount: 0.05,
    purpose: "entry",
    position_id: null,
    mode: "testnet",
    ...overrides,
  };
}

/** The order as the store records it. */
export function orderIntent(overrides: Partial<OrderIntent> = {}): OrderIntent {
  return {
    // Fresh every call (random part), so intents never collide on the unique client order id.
    client_order_id: newClientOrderId(Date.now()),
    ...newOrder(),
    ...overrides,
  };
}
