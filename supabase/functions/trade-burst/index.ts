import { createTradeBurstHandler } from "../_shared/burst/handler.ts";
import { productionDeps } from "../_shared/exchange/deps.ts";

Deno.serve(createTradeBurstHandler(productionDeps));
