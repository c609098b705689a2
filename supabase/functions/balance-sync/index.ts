import { createBalanceSyncHandler } from "../_shared/balance/handler.ts";
import { productionDeps } from "../_shared/exchange/deps.ts";

Deno.serve(createBalanceSyncHandler(productionDeps));
