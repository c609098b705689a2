/**
 * `deno task paper-live`: paper trading on the real market. Public data from api.binance.com and www.okx.com (no keys,
 * no real orders), paper fills, the same embedded database, stack, scheduler and dashboard as the demo. When a venue
 * cannot be reached it says so and exits with code 3 within about one probe timeout, before starting anything.
 */

import { UsageError } from "../dev/demo/args.ts";
import { runBot } from "../dev/demo/runtime.ts";
import { PAPER_LIVE_USAGE, parsePaperLiveArgs } from "../dev/paper_live/args.ts";
import { realMarket } from "../dev/paper_live/market.ts";
import { probeVenues } from "../dev/paper_live/preflight.ts";

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

const encoder = new TextEncoder();
function writeAll(stream: typeof Deno.stdout, text: string): void {
  const bytes = encoder.encode(text);
  for (let written = 0; written < bytes.length;) written += stream.writeSync(bytes.subarray(written));
}

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
  io: { out: (text) => writeOrStop(Deno.stdout, text), err: (text) => writeOrStop(Deno.stderr, text) },
  stop: stop.signal,
});
Deno.removeSignalListener("SIGINT", onSignal);
Deno.removeSignalListener("SIGTERM", onSignal);
Deno.exit(code);
