/**
 * What a function that talks to venues needs, passed in so tests can swap any part. `productionDeps` builds the real
 * ones from the process env, once per isolate (env does not change while it lives).
 */
import { type Clock, systemClock } from "./clock.ts";
import { createServiceClient, type Db } from "./db.ts";
import { type Env, getEnv } from "./env.ts";
import { type VenueClientFactory, venueClientFactory } from "./exchange/venue_factory.ts";

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
