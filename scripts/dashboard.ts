/**
 * `deno task dashboard`: the terminal dashboard over the tables (local stack or hosted project).
 * `--url`/`--key`/`--token` or env SUPABASE_URL/SUPABASE_KEY/SUPABASE_ACCESS_TOKEN (a member's session); `--once`
 * prints one screen; Ctrl-C ends the refresh loop.
 */

import { dashboardClient, parseDashboardArgs, runDashboard, USAGE, UsageError } from "../dashboard/terminal/cli.ts";
import { systemSchedulerClock } from "../dev/schedule/scheduler.ts";

const encoder = new TextEncoder();
const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));

let options;
try {
  options = parseDashboardArgs(Deno.args, (name) => Deno.env.get(name));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  // --help is not an error: usage on stdout, exit 0. A bad option: the reason and usage on stderr, exit 2.
  if (!error.message) {
    console.log(USAGE);
    Deno.exit(0);
  }
  console.error(`dashboard: ${error.message}\n\n${USAGE}`);
  Deno.exit(2);
}

const stop = new AbortController();
const onSignal = () => stop.abort();
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);
try {
  const code = await runDashboard(options, {
    client: dashboardClient(options.url, options.key, undefined, options.accessToken),
    write,
    sleep: systemSchedulerClock.sleep,
  }, stop.signal);
  Deno.exitCode = code;
} finally {
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
}
