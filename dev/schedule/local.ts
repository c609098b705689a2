/**
 * The local runner's schedule in one call: read the cadence from the database (the same rows pg_cron's jobs come
 * from) and run it against the gateway with the server key (a secret key, or the legacy service role key) until the
 * signal aborts.
 */

import { createClient } from "@supabase/supabase-js";
import { loadCadence } from "./cadence.ts";
import { gatewayInvoker } from "./invoke.ts";
import { LocalScheduler, type SchedulerClock, type SchedulerEvent } from "./scheduler.ts";
import type { Database } from "../../supabase/functions/_shared/database.types.ts";

export interface LocalScheduleOptions {
  /** Gateway (or project) URL. */
  url: string;
  /** `sb_secret_…`, or the legacy service role JWT. */
  serverKey: string;
  onEvent?: (event: SchedulerEvent) => void;
  clock?: SchedulerClock;
  fetch?: typeof fetch;
}

/** Loads the cadence and builds a scheduler; call `run(signal)` on it (and `runNow()` to start at once). */
export async function createLocalScheduler(options: LocalScheduleOptions): Promise<LocalScheduler> {
  const client = createClient<Database>(options.url, options.serverKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: options.fetch ? { fetch: options.fetch } : undefined,
  });
  const jobs = await loadCadence(client);
  const invoke = gatewayInvoker({ baseUrl: options.url, serverKey: options.serverKey, fetch: options.fetch });
  return new LocalScheduler(jobs, { invoke, clock: options.clock, onEvent: options.onEvent });
}

/** One line per event, for a terminal. */
export function describeSchedulerEvent(event: SchedulerEvent): string {
  const time = event.at.toISOString().slice(11, 19);
  switch (event.type) {
    case "started":
      return `${time} ${event.job}: started`;
    case "skipped":
      return `${time} ${event.job}: skipped, the previous call is still running`;
    case "failed":
      return `${time} ${event.job}: FAILED after ${event.durationMs} ms: ${event.error}`;
    case "finished": {
      const detail = event.ok ? "" : ` ${JSON.stringify(event.result.body).slice(0, 300)}`;
      return `${time} ${event.job}: HTTP ${event.result.status} in ${event.durationMs} ms${detail}`;
    }
  }
}
