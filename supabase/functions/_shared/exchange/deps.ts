/**
 * What a function that talks to venues needs, passed in so tests can swap any part. `productionDeps` builds the real
 * ones from the process env, once per isolate (env does not change while it lives).
 */
import { type Clock, systemClock } from "../clock.ts";
import { createServiceClient, type Db } from "../db.ts";
import type { z } from "zod";
import { type Env, EnvError, getEnv } from "../env.ts";
import { HttpError } from "../errors.ts";
import { parseJsonBody, requireServiceRole } from "../http.ts";
import { type VenueClientFactory, venueClientFactory } from "./venue_factory.ts";

export interface VenueFunctionDeps {
  env: Env;
  db: Db;
  clock: Clock;
  venues: VenueClientFactory;
}

let production: VenueFunctionDeps | undefined;

/** Throws EnvError (naming the variable) when the env is incomplete; the handler answers 500 with that message. */
export function productionDeps(): VenueFunctionDeps {
  if (!production) {
    const env = getEnv();
    production = {
      env,
      db: createServiceClient(env),
      clock: systemClock,
      venues: venueClientFactory(env, { retry: { sleep: systemClock.sleep }, breakerNowMs: systemClock.monotonicMs }),
    };
  }
  return production;
}

/**
 * The opening every venue function shares: build the deps (an incomplete env answers 500 naming the variable), refuse
 * any caller but the service role, then parse the body with the function's strict schema. Nothing is written before
 * all three pass.
 */
export async function acceptServiceRoleCall<S extends z.ZodType>(
  req: Request,
  getDeps: () => VenueFunctionDeps,
  bodySchema: S,
): Promise<{ deps: VenueFunctionDeps; body: z.infer<S> }> {
  let deps: VenueFunctionDeps;
  try {
    deps = getDeps();
  } catch (error) {
    if (error instanceof EnvError) throw new HttpError(500, `server misconfigured: ${error.message}`);
    throw error;
  }
  requireServiceRole(req, deps.env);
  return { deps, body: await parseJsonBody(req, bodySchema) };
}
