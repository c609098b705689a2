/**
 * The embedded Postgres server process: PGlite on a data folder, behind the wire-protocol server. Run by
 * startEmbeddedPostgres (pglite_server.ts) as a child process, so PGlite's WASM work never blocks the caller's event
 * loop (the gateway, the functions' supervisor, the tests).
 *
 *   deno run -A dev/embedded/pglite_main.ts --data-dir <folder> [--port <n>]
 *
 * Prints one JSON line `{"event":"ready",...}` on stdout once it accepts connections. Stops cleanly (PGlite closed,
 * lock removed) on SIGTERM, SIGINT or when its stdin reaches end of file (the parent died).
 */

import { parseArgs } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { pgcrypto } from "@electric-sql/pglite/contrib/pgcrypto";
import { uuid_ossp } from "@electric-sql/pglite/contrib/uuid_ossp";
import { acquireDataDirLock } from "./data_dir_lock.ts";
import { serveWire } from "./wire_server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "data-dir": { type: "string" },
    port: { type: "string", default: "0" },
    "owner-idle-timeout-ms": { type: "string" },
  },
});
const dataDir = values["data-dir"];
const port = Number(values.port);
if (!dataDir) throw new Error("--data-dir is required");
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`);
const ownerIdleTimeoutMs = values["owner-idle-timeout-ms"] ? Number(values["owner-idle-timeout-ms"]) : undefined;

const log = (line: string) => console.error(`[embedded-postgres] ${line}`);
const startedAt = performance.now();

await Deno.mkdir(dataDir, { recursive: true });
const lock = await acquireDataDirLock(dataDir, Deno.pid);
const db = await PGlite.create({
  dataDir: `${dataDir}/pgdata`,
  // Hosted Supabase has these; our migrations may `create extension` them. (pg_cron, pg_net, Vault: not in PGlite.)
  extensions: { pgcrypto, uuid_ossp },
});
const openMs = Math.round(performance.now() - startedAt);

const server = serveWire({
  backend: {
    // runExclusive: nothing else (close()) may touch the session while a message runs.
    execute: (message, onData) => db.runExclusive(() => db.execProtocolRawStream(message, { onRawData: onData })),
  },
  port,
  ownerIdleTimeoutMs,
  log,
});

let stopping: Promise<void> | undefined;
function stop(reason: string): Promise<void> {
  stopping ??= (async () => {
    log(`stopping (${reason})`);
    await server.close();
    await db.close();
    await lock.release();
    log("stopped");
  })();
  return stopping;
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, () => stop(signal).then(() => Deno.exit(0), () => Deno.exit(1)));
}
// The parent holds our stdin open; its end means the parent is gone and nobody will stop us otherwise.
(async () => {
  for await (const _ of Deno.stdin.readable) { /* the parent never writes; we only wait for end of file */ }
  await stop("stdin closed");
  Deno.exit(0);
})();

console.log(JSON.stringify({ event: "ready", port: server.port, hostname: server.hostname, pid: Deno.pid, openMs }));
