import { createBalanceSyncHandler } from "./handler.ts";
import { productionDeps } from "../_shared/deps.ts";

Deno.serve(createBalanceSyncHandler(productionDeps));
