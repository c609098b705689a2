/**
 * `deno task demo`: the whole bot offline in one command. Embedded Postgres in .local/demo (kept between runs), the
 * exchange simulator as the market, the local stack, the scheduler on the production cadence, and the terminal
 * dashboard. Ctrl-C stops everything. See dev/run/args.ts for the flags (`--help`).
 */

import { DEMO_USAGE, parseDemoArgs, UsageError } from "../dev/run/args.ts";
import { startDemoMarket } from "../dev/run/demo/market.ts";
import { runBot } from "../dev/run/runtime.ts";
import { openTerminal } from "../dev/run/terminal.ts";
import { REALISTIC_MATRIX } from "../dev/stack/regions.ts";

let options;
try {
  options = parseDemoArgs(Deno.args, (name) => Deno.env.get(name));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  if (error.message) console.error(`demo: ${error.message}\n`);
  console.error(DEMO_USAGE);
  Deno.exit(error.message ? 2 : 0);
}

// Listening before anything starts, so a Ctrl-C during start-up still stops whatever has started.
const terminal = openTerminal();

const code = await runBot({
  name: "demo",
  options,
  startMarket: () => startDemoMarket(options.seed, { perCallerLimits: !options.regions }),
  // --regions: REALISTIC_MATRIX (figures and sources in dev/stack/regions.ts), the database in Frankfurt.
  ...(options.regions ? { regionModel: { matrix: REALISTIC_MATRIX, projectRegion: "eu-central-1" } } : {}),
  io: terminal.io,
  stop: terminal.signal,
});
terminal.close();
Deno.exit(code);
