/**
 * `deno task stack`: the local Supabase stack until Ctrl-C or SIGTERM.
 * stdout: exactly one JSON line (gatewayUrl, databaseUrl, keyMode, the publishable and secret keys, the legacy anon
 * and service role keys — null with --new-keys-only — and a signed-in user's token) for scripts and tools to read.
 * stderr: everything else, including what PostgREST and the functions print, one `[source] line` at a time.
 * Every environment variable given to this command reaches the functions (they inherit it); only the variables the
 * stack itself owns (SUPABASE_URL, SUPABASE_PUBLISHABLE_KEYS, SUPABASE_SECRET_KEYS, SUPABASE_ANON_KEY,
 * SUPABASE_SERVICE_ROLE_KEY, SUPABASE_DB_URL) are replaced.
 *
 * Flags (for tests and experiments): --functions-dir <dir> (default supabase/functions), --config <config.toml>
 * (default supabase/config.toml), --port <gateway port> (default: a free one), --new-keys-only (a project without
 * legacy JWT keys, as one created today may be).
 */

import { parseArgs } from "node:util";
import { startStack } from "../dev/stack/stack.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    "functions-dir": { type: "string" },
    config: { type: "string" },
    port: { type: "string" },
    "new-keys-only": { type: "boolean" },
  },
  strict: true,
});
const gatewayPort = flags.port === undefined ? undefined : Number(flags.port);
if (gatewayPort !== undefined && !(Number.isInteger(gatewayPort) && gatewayPort > 0 && gatewayPort < 65536)) {
  console.error(`stack: --port must be a port number, got ${flags.port}`);
  Deno.exit(2);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const partialLines = new Map<string, string>();

/** Prefixes each complete line with its source; a partial line waits for the rest. */
function echoToStderr(source: string, chunk: Uint8Array): void {
  const text = (partialLines.get(source) ?? "") + decoder.decode(chunk, { stream: true });
  const lines = text.split("\n");
  partialLines.set(source, lines.pop() ?? "");
  if (lines.length > 0) Deno.stderr.writeSync(encoder.encode(lines.map((line) => `[${source}] ${line}\n`).join("")));
}

const OWNED = [
  "SUPABASE_URL",
  "SUPABASE_PUBLISHABLE_KEYS",
  "SUPABASE_SECRET_KEYS",
  "SUPABASE_ANON_KEY",
  "SUPABASE_SERVICE_ROLE_KEY",
  "SUPABASE_DB_URL",
];
for (const name of OWNED) {
  if (Deno.env.get(name) !== undefined) {
    console.error(`stack: ${name} from the environment is replaced by the stack's own`);
  }
}

// Listening before the start, so a Ctrl-C during startup still stops whatever has started.
let signalled: Deno.Signal | undefined;
let stopRequested: (signal: Deno.Signal) => void = (signal) => signalled = signal;
Deno.addSignalListener("SIGINT", () => stopRequested("SIGINT"));
Deno.addSignalListener("SIGTERM", () => stopRequested("SIGTERM"));

const started = performance.now();
const stack = await startStack({
  onOutput: echoToStderr,
  functionsDir: flags["functions-dir"],
  configPath: flags.config,
  gatewayPort,
  keyMode: flags["new-keys-only"] ? "new-only" : "with-legacy",
});
console.log(JSON.stringify({
  gatewayUrl: stack.gatewayUrl,
  databaseUrl: stack.databaseUrl,
  keyMode: stack.keyMode,
  publishableKey: stack.publishableKey,
  secretKey: stack.secretKey,
  anonKey: stack.anonKey ?? null,
  serviceRoleKey: stack.serviceRoleKey ?? null,
  authenticatedKey: stack.authenticatedKey,
}));
console.error(
  `stack: ready in ${Math.round(performance.now() - started)} ms; functions: ${
    stack.functions.join(", ") || "(none)"
  }; logs in ${stack.logDir}; Ctrl-C to stop`,
);

let stopping = false;
async function shutdown(signal: Deno.Signal): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error(`stack: ${signal}, stopping`);
  try {
    await stack.stop();
    console.error("stack: stopped");
    Deno.exit(0);
  } catch (error) {
    console.error(`stack: stop failed: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
stopRequested = (signal) => void shutdown(signal);
if (signalled) stopRequested(signalled);
