/**
 * The opening every venue function shares: first the caller (a secret key in `apikey`, or the legacy service role
 * bearer; checked from the two key variables alone, so a refused caller learns nothing about the rest of the env),
 * then the deps (an incomplete env answers 500 naming the variable, to an accepted caller only), then the body with
 * the function's strict schema. Nothing is written before all three pass.
 */
import type { z } from "zod";
import { type CallerKeys, callerKeysFrom, requireServerCaller } from "./caller.ts";
import type { VenueFunctionDeps } from "./deps.ts";
import { EnvError } from "./env.ts";
import { HttpError, parseJsonBody } from "./http.ts";

let productionKeys: CallerKeys | undefined;

/** The caller-check keys of this isolate's env (env does not change while an isolate lives). */
export function productionCallerKeys(): CallerKeys {
  productionKeys ??= callerKeysFrom();
  return productionKeys;
}

export async function acceptServerCall<S extends z.ZodType>(
  req: Request,
  getDeps: () => VenueFunctionDeps,
  bodySchema: S,
  getCallerKeys: () => CallerKeys = productionCallerKeys,
): Promise<{ deps: VenueFunctionDeps; body: z.infer<S> }> {
  requireServerCaller(req, getCallerKeys());
  let deps: VenueFunctionDeps;
  try {
    deps = getDeps();
  } catch (error) {
    if (error instanceof EnvError) throw new HttpError(500, `server misconfigured: ${error.message}`);
    throw error;
  }
  return { deps, body: await parseJsonBody(req, bodySchema) };
}
