/**
 * The demo's database: the embedded Postgres on a persistent folder (default), or a real server given by URL.
 * `--reset` wipes only what the demo itself put in the folder, and never while another process serves it.
 */

import postgres from "postgres";
import { LOCK_FILE_NAME } from "../embedded/data_dir_lock.ts";
import { type EmbeddedPostgres, LOG_FILE_NAME, startEmbeddedPostgres } from "../embedded/pglite_server.ts";

/** The demo's own log (function output, scheduler events), kept in the data folder. */
export const DEMO_LOG_FILE_NAME = "demo.log";

export class DataDirBusyError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(`${dataDir} is in use by process ${pid} (another demo?); stop it first`);
    this.name = "DataDirBusyError";
  }
}

export class DatabaseNotReadyError extends Error {
  constructor(readonly databaseUrl: string, detail: string) {
    super(`the database at ${redactUrl(databaseUrl)} ${detail}`);
    this.name = "DatabaseNotReadyError";
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}

async function liveLockOwner(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dataDir}/${LOCK_FILE_NAME}`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X" ? undefined : pid;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Removes the embedded database, its lock and log, the demo log and leftover stack folders; nothing else, so a
 * mistyped --data-dir cannot wipe unrelated files. Returns the names removed.
 */
export async function resetDataDir(dataDir: string): Promise<string[]> {
  const owner = await liveLockOwner(dataDir);
  if (owner !== undefined) throw new DataDirBusyError(dataDir, owner);
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dataDir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return removed;
    throw error;
  }
  const ours = new Set(["pgdata", LOCK_FILE_NAME, LOG_FILE_NAME, DEMO_LOG_FILE_NAME]);
  for (const entry of entries) {
    if (!ours.has(entry.name) && !(entry.isDirectory && entry.name.startsWith("stack-"))) continue;
    await Deno.remove(`${dataDir}/${entry.name}`, { recursive: true });
    removed.push(entry.name);
  }
  return removed.sort();
}

/** A real server must already have the project's schema: the demo never runs the bootstrap on someone's database. */
async function checkSchema(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [row] = await sql<{ settings: boolean; schedules: boolean }[]>`
      select to_regclass('public.bot_settings') is not null as settings,
             to_regclass('public.function_schedules') is not null as schedules`;
    if (!row.settings || !row.schedules) {
      throw new DatabaseNotReadyError(
        databaseUrl,
        "lacks the project's tables: apply dev/db/bootstrap.sql (local servers only) and the migrations " +
          "(supabase db push --db-url <url>) first",
      );
    }
  } catch (error) {
    if (error instanceof DatabaseNotReadyError) throw error;
    throw new DatabaseNotReadyError(databaseUrl, `cannot be used: ${error instanceof Error ? error.message : error}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export interface DemoDatabase {
  databaseUrl: string;
  /** Set when the demo runs the embedded server (the data folder is then exclusively ours). */
  embedded: EmbeddedPostgres | undefined;
  /** For the screen: "embedded Postgres in …, fresh, ready in 5.1 s" or the redacted URL. */
  description: string;
  stop(): Promise<void>;
}

export async function openDemoDatabase(options: { dataDir: string; databaseUrl?: string }): Promise<DemoDatabase> {
  if (options.databaseUrl) {
    await checkSchema(options.databaseUrl);
    return {
      databaseUrl: options.databaseUrl,
      embedded: undefined,
      description: `Postgres at ${redactUrl(options.databaseUrl)}`,
      stop: () => Promise.resolve(),
    };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: options.dataDir });
  const t = embedded.timings;
  return {
    databaseUrl: embedded.databaseUrl,
    embedded,
    description: `embedded Postgres (PGlite) in ${embedded.dataDir} (${
      t.freshDataDir ? "new" : "existing"
    } data, ready in ${(t.totalMs / 1000).toFixed(1)} s${
      embedded.appliedMigrations.length > 0 ? `, ${embedded.appliedMigrations.length} migrations applied` : ""
    })`,
    stop: () => embedded.stop(),
  };
}
