import { productionDeps } from "../_shared/exchange/deps.ts";
import { createLatencySampleHandler } from "../_shared/latency/sample_handler.ts";

Deno.serve(createLatencySampleHandler(productionDeps));
