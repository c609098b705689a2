import { productionDeps } from "../_shared/deps.ts";
import { createLatencySampleHandler } from "./handler.ts";

Deno.serve(createLatencySampleHandler(productionDeps));
