import { createTradeBurstHandler } from "./handler.ts";
import { productionDeps } from "../_shared/deps.ts";

Deno.serve(createTradeBurstHandler(productionDeps));
