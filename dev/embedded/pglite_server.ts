/**
 * An embedded Postgres for the offline demo: PGlite (WASM Postgres 18) on a persistent data folder, served over the
 * Postgres wire protocol on loopback so the real PostgREST, postgres.js, psql and the Supabase CLI can connect.
 * On start it makes the database look like a hosted Supabase one, idempotently: dev/db/bootstrap.sql, then the
 * migrations not yet recorded in supabase_migrations.schema_migrations, applied by the real `supabase db push`.
 *
 *   const db = await startEmbeddedPostgres({ dataDir: ".local/demo-db" });
 *   const stack = await startStack({ databaseUrl: db.databaseUrl });
 *
 * Limits (docs/EMBEDDED_DB.md): one Postgres session shared by all connections, no authentication (every client is
 * the superuser), no statement_timeout, no pg_cron / pg_net / Vault.
 */

import postgres from "postgres";
import { REPO_ROOT, requireBinary, runCommand, SUPABASE_CLI } from "../stack/commands.ts";
import { dbPushArgs, DEFAULT_BOOTSTRAP_SQL, DEFAULT_MIGRATIONS_DIR } from "../stack/database.ts";
import { LOOPBACK } from "../stack/net.ts";
import { EmbeddedStartError } from "./errors.ts";

export const SERVER_ENTRY = `${REPO_ROOT}/dev/embedded/pglite_main.ts`;
export const LOG_FILE_NAME = "embedded-postgres.log";

export interface EmbeddedPostgresOptions {
  /** Folder for everything: PGlite's files (`pgdata/`), the lock and the log. Created if missing; kept by stop(). */
  dataDir: string;
  /** Loopback port. Default 0: a free one. */
  port?: number;
  /** Default `<repo>/dev/db/bootstrap.sql`. */
  bootstrapSql?: string;
  /** Default `<repo>/supabase/migrations`. */
  migrationsDir?: string;
  /** false: only serve the folder as it is (no bootstrap, no migrations). Default true. */
  applySchema?: boolean;
  /** Upper bound for the server's readiness. Default 120 s (a fresh folder runs initdb in WASM first). */
  readyTimeoutMs?: number;
  /** See the scheduler: how long an idle connection may hold the session in a transaction while others wait. */
  ownerIdleTimeoutMs?: number;
  /** Also receives everything the server process prints (the log file gets it anyway). */
  onOutput?: (chunk: Uint8Array) => void;
}

export interface StartTimings {
  /** True when the folder had no database yet (PGlite ran initdb). */
  freshDataDir: boolean;
  /** Spawn to "accepting connections". */
  serverMs: number;
  bootstrapMs: number;
  migrationsMs: number;
  totalMs: number;
}

export interface EmbeddedPostgres {
  /** `postgresql://postgres:postgres@127.0.0.1:<port>/postgres` (any password is accepted). */
  databaseUrl: string;
  /** The same server as `authenticator`, what a PostgREST config would name (it is still the superuser session). */
  authenticatorUrl: string;
  host: string;
  port: number;
  dataDir: string;
  logPath: string;
  /** The server process. */
  pid: number;
  /** Migration versions this start applied (empty when the folder was up to date). */
  appliedMigrations: string[];
  timings: StartTimings;
  /** Closes PGlite cleanly (data stays in dataDir) and ends the process. Idempotent. */
  stop(): Promise<void>;
}

/** How long stop() waits after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 15_000;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

interface ServerProcess {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

interface ReadyLine {
  event: "ready";
  port: number;
}

function parseReadyLine(line: string): ReadyLine | undefined {
  try {
    const value = JSON.parse(line);
    if (value?.event === "ready" && Number.isInteger(value.port)) return value as ReadyLine;
  } catch {
    // Not our JSON line: ordinary output.
  }
  return undefined;
}

async function spawnServer(options: EmbeddedPostgresOptions, logPath: string): Promise<ServerProcess> {
  const args = [
    "run",
    "-A",
    "--config",
    `${REPO_ROOT}/deno.json`,
    SERVER_ENTRY,
    "--data-dir",
    options.dataDir,
    "--port",
    String(options.port ?? 0),
  ];
  if (options.ownerIdleTimeoutMs !== undefined) {
    args.push("--owner-idle-timeout-ms", String(options.ownerIdleTimeoutMs));
  }
  const log = await Deno.open(logPath, { create: true, append: true });
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    stdin: "piped", // held open: the server stops when it closes (we died)
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exitCode: number | undefined;
  const exited = child.status.then((status) => {
    exitCode = status.code;
  });

  let resolveReady: (line: ReadyLine) => void = () => {};
  const ready = new Promise<ReadyLine>((resolve) => resolveReady = resolve);
  const writeLog = async (chunk: Uint8Array) => {
    options.onOutput?.(chunk);
    for (let written = 0; written < chunk.length;) written += await log.write(chunk.subarray(written));
  };
  const drainStdout = (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of child.stdout) {
      await writeLog(chunk);
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const parsed = parseReadyLine(line);
        if (parsed) resolveReady(parsed);
      }
    }
  })();
  const drainStderr = (async () => {
    for await (const chunk of child.stderr) await writeLog(chunk);
  })();
  const flushed = Promise.allSettled([drainStdout, drainStderr]).then(() => log.close());

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (exitCode === undefined) {
        try {
          child.kill("SIGTERM");
        } catch (error) {
          if (!(error instanceof TypeError)) throw error; // exited in between
        }
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), STOP_GRACE_MS)),
      ]);
      clearTimeout(timer);
      if (timedOut) child.kill("SIGKILL");
      await exited;
      await child.stdin.close().catch(() => {});
      await flushed;
      if (timedOut) throw new Error(`embedded Postgres did not stop within ${STOP_GRACE_MS} ms and was killed`);
    })();
    return stopping;
  };

  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready.then((line) => ({ line })),
    exited.then(() => ({ failure: `the server process exited with code ${exitCode}` })),
    new Promise<{ failure: string }>((resolve) =>
      timer = setTimeout(() => resolve({ failure: `not ready after ${timeoutMs} ms` }), timeoutMs)
    ),
  ]);
  clearTimeout(timer);
  if ("failure" in outcome) {
    await stop().catch(() => {});
    const tail = (await Deno.readTextFile(logPath).catch(() => "")).slice(-2000);
    throw new EmbeddedStartError("start server", `${outcome.failure}\n${tail}`, logPath);
  }
  return { pid: child.pid, port: outcome.line.port, stop };
}

/** Runs the bootstrap script in one simple-protocol round trip (it is idempotent, so every start runs it). */
async function applyBootstrap(databaseUrl: string, path: string): Promise<void> {
  const text = await Deno.readTextFile(path);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(text).simple();
  } finally {
    await sql.end();
  }
}

const MIGRATION_FILE = /^(\d+)_.+\.sql$/;

/** Versions of the local migration files, in order. */
export async function localMigrationVersions(migrationsDir: string): Promise<string[]> {
  const versions: string[] = [];
  for await (const entry of Deno.readDir(migrationsDir)) {
    const match = entry.isFile ? MIGRATION_FILE.exec(entry.name) : null;
    if (match) versions.push(match[1]);
  }
  return versions.sort();
}

/** Versions the Supabase CLI has recorded as applied (none before its first push). */
async function appliedMigrationVersions(databaseUrl: string): Promise<Set<string>> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ present }] = await sql`
      select to_regclass('supabase_migrations.schema_migrations') is not null as present`;
    if (!present) return new Set();
    const rows = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`;
    return new Set(rows.map((row) => row.version));
  } finally {
    await sql.end();
  }
}

/**
 * Pending migrations go through the real CLI (`supabase db push --db-url`, which works against PGlite), so
 * schema_migrations is written exactly as on a hosted project. When nothing is pending the CLI is not started at all
 * (saves about 1.5 s per start). The CLI runs in a scratch folder whose supabase/migrations links to the real one,
 * so its .temp files never land in the repository.
 */
async function pushPendingMigrations(databaseUrl: string, migrationsDir: string): Promise<string[]> {
  const applied = await appliedMigrationVersions(databaseUrl);
  const pending = (await localMigrationVersions(migrationsDir)).filter((version) => !applied.has(version));
  if (pending.length === 0) return [];
  const cli = await requireBinary(SUPABASE_CLI);
  const workdir = await Deno.makeTempDir({ prefix: "embedded-db-push-" });
  try {
    await Deno.mkdir(`${workdir}/supabase`);
    await Deno.symlink(await Deno.realPath(migrationsDir), `${workdir}/supabase/migrations`);
    await runCommand(cli, dbPushArgs(workdir, databaseUrl), { label: "supabase db push (embedded)" });
  } finally {
    await Deno.remove(workdir, { recursive: true });
  }
  return pending;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const startedAt = performance.now();
  await Deno.mkdir(options.dataDir, { recursive: true });
  const dataDir = await Deno.realPath(options.dataDir);
  const logPath = `${dataDir}/${LOG_FILE_NAME}`;
  const freshDataDir = !await exists(`${dataDir}/pgdata/PG_VERSION`);

  const server = await spawnServer({ ...options, dataDir }, logPath);
  const serverMs = performance.now() - startedAt;
  const databaseUrl = `postgresql://postgres:postgres@${LOOPBACK}:${server.port}/postgres`;
  const authenticatorUrl = `postgresql://authenticator:authenticator@${LOOPBACK}:${server.port}/postgres`;

  let bootstrapMs = 0;
  let migrationsMs = 0;
  let appliedMigrations: string[] = [];
  if (options.applySchema !== false) {
    let step = "bootstrap";
    try {
      const bootstrapStart = performance.now();
      await applyBootstrap(databaseUrl, options.bootstrapSql ?? DEFAULT_BOOTSTRAP_SQL);
      bootstrapMs = performance.now() - bootstrapStart;
      step = "migrations";
      const migrationsStart = performance.now();
      appliedMigrations = await pushPendingMigrations(databaseUrl, options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
      migrationsMs = performance.now() - migrationsStart;
    } catch (error) {
      await server.stop().catch(() => {});
      throw new EmbeddedStartError(step, error instanceof Error ? error.message : String(error), logPath);
    }
  }

  return {
    databaseUrl,
    authenticatorUrl,
    host: LOOPBACK,
    port: server.port,
    dataDir,
    logPath,
    pid: server.pid,
    appliedMigrations,
    timings: {
      freshDataDir,
      serverMs: Math.round(serverMs),
      bootstrapMs: Math.round(bootstrapMs),
      migrationsMs: Math.round(migrationsMs),
      totalMs: Math.round(performance.now() - startedAt),
    },
    stop: () => server.stop(),
  };
}
