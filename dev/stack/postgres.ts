/**
 * A throwaway Postgres 15 cluster on a free loopback port, for tests and `deno task stack`.
 * The cluster lives in `<repo>/.local/pg-<random>` (gitignored), or in the system temp folder when the `postgres` OS
 * user cannot reach the checkout, and is removed by stop().
 */

import { tmpdir } from "node:os";
import {
  asUser,
  lookupOsUser,
  type OsUser,
  postgresBinary,
  REPO_ROOT,
  requireBinary,
  runCommand,
  runningAsRoot,
} from "./commands.ts";
import { CommandFailedError } from "./errors.ts";
import { freePort, LOOPBACK, PORT_ATTEMPTS } from "./net.ts";

export interface PostgresCluster {
  host: string;
  port: number;
  /** The generated password of the `postgres` superuser. */
  password: string;
  /** Superuser connection URL (`postgresql://postgres:…@127.0.0.1:<port>/postgres`). */
  url: string;
  /** The cluster folder (data, unix socket, server log). */
  dir: string;
  /** The server log file. */
  logPath: string;
  /** pg_ctl stop -m fast, then remove the folder. Idempotent. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Parent folder of the cluster folder; the `postgres` OS user must be able to traverse it. Default `<repo>/.local`. */
  parentDir?: string;
  /** Upper bound for `pg_ctl start -w`. Default 30 s. */
  startTimeoutSeconds?: number;
}

/** Settings for a disposable test database: speed over durability; pg_cron because later migrations use it. */
function serverSettings(dir: string): string {
  return [
    "",
    "# written by dev/stack/postgres.ts",
    `listen_addresses = '${LOOPBACK}'`,
    `unix_socket_directories = '${dir}'`,
    "fsync = off",
    "synchronous_commit = off",
    "full_page_writes = off",
    "shared_preload_libraries = 'pg_cron'",
    "cron.database_name = 'postgres'",
    "max_connections = 100",
    "",
  ].join("\n");
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether `user` can enter `path` (every folder above it must be searchable by that user). */
async function reachableBy(user: OsUser, path: string): Promise<boolean> {
  const [program, args] = await asUser(user, "test", ["-x", path]);
  const { code } = await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output();
  return code === 0;
}

export async function startPostgresCluster(options: PostgresOptions = {}): Promise<PostgresCluster> {
  const initdb = await requireBinary(postgresBinary("initdb"));
  const pgCtl = await requireBinary(postgresBinary("pg_ctl"));
  await requireBinary(postgresBinary("postgres"));
  const owner: OsUser | undefined = runningAsRoot() ? await lookupOsUser("postgres") : undefined;

  const requestedParent = options.parentDir ?? `${REPO_ROOT}/.local`;
  await Deno.mkdir(requestedParent, { recursive: true });
  // The server runs as `postgres`: a checkout under a private home (/root is 0700) is out of its reach, so the cluster
  // then lives in the system temp folder instead (still removed by stop()).
  const parentDir = owner && !(await reachableBy(owner, requestedParent)) ? tmpdir() : requestedParent;
  const dir = await Deno.makeTempDir({ dir: parentDir, prefix: "pg-" });
  const dataDir = `${dir}/data`;
  const logPath = `${dir}/postgres.log`;
  const password = randomHex(24);
  let started = false;
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (started) {
      const [program, args] = await asUser(owner, pgCtl, ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "30"]);
      try {
        await runCommand(program, args, { label: "pg_ctl stop" });
      } catch (error) {
        // A fast shutdown that hangs must not leave a server behind: fall back to immediate.
        const [p2, a2] = await asUser(owner, pgCtl, ["stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "10"]);
        await runCommand(p2, a2, { label: "pg_ctl stop -m immediate" }).catch(() => {
          throw error;
        });
      }
    }
    await Deno.remove(dir, { recursive: true });
  };

  try {
    if (owner) await Deno.chown(dir, owner.uid, owner.gid);
    const passwordFile = `${dir}/pwfile`;
    await Deno.writeTextFile(passwordFile, password + "\n", { mode: 0o600 });
    if (owner) await Deno.chown(passwordFile, owner.uid, owner.gid);
    const [initProgram, initArgs] = await asUser(owner, initdb, [
      "-D",
      dataDir,
      "-U",
      "postgres",
      `--pwfile=${passwordFile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C.UTF-8",
      "--no-sync",
      "--no-instructions",
    ]);
    await runCommand(initProgram, initArgs, { label: "initdb" });
    await Deno.remove(passwordFile);
    await Deno.writeTextFile(`${dataDir}/postgresql.conf`, serverSettings(dir), { append: true });

    let port = 0;
    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      port = freePort();
      const [program, args] = await asUser(owner, pgCtl, [
        "start",
        "-D",
        dataDir,
        "-l",
        logPath,
        "-o",
        `-p ${port}`,
        "-w",
        "-t",
        String(options.startTimeoutSeconds ?? 30),
      ]);
      try {
        await runCommand(program, args, { label: "pg_ctl start" });
        started = true;
        break;
      } catch (error) {
        const log = await Deno.readTextFile(logPath).catch(() => "");
        const clash = log.includes("Address already in use");
        if (!clash || attempt === PORT_ATTEMPTS) {
          const code = error instanceof CommandFailedError ? error.code : 1;
          throw new CommandFailedError("pg_ctl start", code, `server log ${logPath}:\n${log.slice(-2000)}`);
        }
      }
    }
    const url = `postgresql://postgres:${password}@${LOOPBACK}:${port}/postgres`;
    return { host: LOOPBACK, port, password, url, dir, logPath, stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
