/**
 * `deno task demo`: the whole bot offline in one command. Embedded Postgres in .local/demo (kept between runs), the
 * exchange simulator as the market, the local stack, the scheduler on the production cadence, and the terminal
 * dashboard. Ctrl-C stops everything. See dev/demo/args.ts for the flags (`--help`).
 */

import { DEMO_USAGE, parseDemoArgs, UsageError } from "../dev/demo/args.ts";
import { startDemoMarket } from "../dev/demo/market.ts";
import { runBot } from "../dev/demo/runtime.ts";

let options;
try {
  options = parseDemoArgs(Deno.args, (name) => Deno.env.get(name));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  if (error.message) console.error(`demo: ${error.message}\n`);
  console.error(DEMO_USAGE);
  Deno.exit(error.message ? 2 : 0);
}

const encoder = new TextEncoder();
function writeAll(stream: typeof Deno.stdout, text: string): void {
  const bytes = encoder.encode(text);
  for (let written = 0; written < bytes.length;) written += stream.writeSync(bytes.subarray(written));
}
// Listening before anything starts, so a Ctrl-C during start-up still stops whatever has started.
const stop = new AbortController();
/** A closed terminal or pipe (`| head`) is a reason to stop cleanly, not to crash and leave the children running. */
function writeOrStop(stream: typeof Deno.stdout, text: string): void {
  try {
    writeAll(stream, text);
  } catch {
    stop.abort();
  }
}
const onSignal = () => stop.abort();
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);

const code = await runBot({
  name: "demo",
  options,
  startMarket: () => startDemoMarket(options.seed),
  io: { out: (text) => writeOrStop(Deno.stdout, text), err: (text) => writeOrStop(Deno.stderr, text) },
  stop: stop.signal,
});
Deno.removeSignalListener("SIGINT", onSignal);
Deno.removeSignalListener("SIGTERM", onSignal);
Deno.exit(code);
