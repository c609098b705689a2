/**
 * `deno task test:db`: pgTAP over a throwaway Postgres that has the bootstrap and the migrations, run by pg_prove
 * (its output goes straight to the terminal, so its summary shows). Exits with pg_prove's code; always cleans up.
 * Arguments (optional): test files or folders to run instead of supabase/tests/database.
 */

import { resolve } from "node:path";
import { PG_PROVE, REPO_ROOT, requireBinary } from "../dev/stack/commands.ts";
import { runSql, startDatabase } from "../dev/stack/database.ts";

const TESTS_DIR = `${REPO_ROOT}/supabase/tests/database`;

async function testFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await Deno.stat(path).catch(() => {
      throw new Error(`${path} does not exist`);
    });
    if (!info.isDirectory) {
      files.push(resolve(path));
      continue;
    }
    const inFolder: string[] = [];
    for await (const entry of Deno.readDir(path)) {
      if (entry.isFile && entry.name.endsWith(".test.sql")) inFolder.push(resolve(path, entry.name));
    }
    files.push(...inFolder.sort());
  }
  return files;
}

async function main(): Promise<number> {
  const pgProve = await requireBinary(PG_PROVE);
  const paths = Deno.args.length > 0 ? Deno.args : [TESTS_DIR];
  const files = await testFiles(paths);
  if (files.length === 0) {
    console.error(`pgtap: no *.test.sql files in ${paths.join(", ")}`);
    return 1;
  }
  let child: Deno.ChildProcess | undefined;
  let interrupted = false;
  // Ctrl-C / SIGTERM (even during startup) stop pg_prove; the finally below then removes the cluster.
  const onSignal = () => {
    interrupted = true;
    child?.kill("SIGTERM");
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let database: Awaited<ReturnType<typeof startDatabase>> | undefined;
  try {
    database = await startDatabase({ authenticatorPassword: crypto.randomUUID().replaceAll("-", "") });
    await runSql(database, "create extension if not exists pgtap", "create extension pgtap");
    if (interrupted) return 130;
    child = new Deno.Command(pgProve, {
      args: ["-h", database.host, "-p", String(database.port), "-U", "postgres", "-d", "postgres", ...files],
      env: { PGPASSWORD: database.password },
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return (await child.status).code;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await database?.stop();
  }
}

try {
  Deno.exit(await main());
} catch (error) {
  console.error(`pgtap: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
