/**
 * `deno task paper-live`: paper trading on the real market. Public data from api.binance.com and www.okx.com (no keys,
 * no real orders), paper fills, the same embedded database, stack, scheduler and dashboard as the demo. When a venue
 * cannot be reached it says so and exits with code 3 within about one probe timeout, before starting anything.
 */

import { UsageError } from "../dev/run/args.ts";
import { runBot } from "../dev/run/runtime.ts";
import { openTerminal } from "../dev/run/terminal.ts";
import { PAPER_LIVE_USAGE, parsePaperLiveArgs } from "../dev/run/paper_live/args.ts";
import { realMarket } from "../dev/run/paper_live/market.ts";
import { probeVenues } from "../dev/run/paper_live/preflight.ts";

/** Exit code when a venue cannot be reached. */
const EXIT_UNREACHABLE = 3;

let options;
try {
  options = parsePaperLiveArgs(Deno.args, (name) => Deno.env.get(name));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  if (error.message) console.error(`paper-live: ${error.message}\n`);
  console.error(PAPER_LIVE_USAGE);
  Deno.exit(error.message ? 2 : 0);
}

// Listening before anything starts, so a Ctrl-C during start-up still stops whatever has started.
const terminal = openTerminal();

console.error(`paper-live: checking that the venues answer (${options.probeTimeoutMs} ms each)`);
const unreachable = await probeVenues(options.baseUrls, { timeoutMs: options.probeTimeoutMs });
if (unreachable.length > 0) {
  for (const failure of unreachable) console.error(`paper-live: ${failure.message}`);
  console.error(
    "paper-live: real-market paper mode needs the venues' public APIs; nothing was started. " +
      "(For an offline run use `deno task demo`.)",
  );
  Deno.exit(EXIT_UNREACHABLE);
}

const code = await runBot({
  name: "paper-live",
  options,
  startMarket: () => Promise.resolve(realMarket(options)),
  io: terminal.io,
  stop: terminal.signal,
});
terminal.close();
Deno.exit(code);
