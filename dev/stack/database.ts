/**
 * Makes a fresh cluster look like a hosted Supabase database: the bootstrap script (roles and `auth` helpers a
 * hosted project already has), a known password for `authenticator`, then the project's migrations applied by the
 * real Supabase CLI (`supabase db push --db-url`).
 */

import { resolve } from "node:path";
import { postgresBinary, REPO_ROOT, requireBinary, runCommand, SUPABASE_CLI } from "./commands.ts";
import { type PostgresCluster, type PostgresOptions, startPostgresCluster } from "./postgres.ts";

export const DEFAULT_BOOTSTRAP_SQL = `${REPO_ROOT}/dev/db/bootstrap.sql`;
export const DEFAULT_MIGRATIONS_DIR = `${REPO_ROOT}/supabase/migrations`;

/** The Supabase CLI insists on TLS unless told otherwise; the throwaway cluster has none. */
export function withSslDisabled(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("sslmode", "disable");
  return parsed.toString();
}

function psqlArgs(cluster: PostgresCluster): string[] {
  return ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cluster.host, "-p", String(cluster.port), "-U", "postgres"];
}

/** Runs a SQL file with psql (stops at the first error). */
export async function runSqlFile(cluster: PostgresCluster, path: string): Promise<void> {
  const psql = await requireBinary(postgresBinary("psql"));
  await Deno.stat(path).catch(() => {
    throw new Error(`SQL file ${path} does not exist`);
  });
  await runCommand(psql, [...psqlArgs(cluster), "-d", "postgres", "-f", path], {
    env: { PGPASSWORD: cluster.password },
    label: `psql -f ${path}`,
  });
}

/** Runs one SQL command with psql. */
export async function runSql(cluster: PostgresCluster, sql: string, label = "psql -c"): Promise<string> {
  const psql = await requireBinary(postgresBinary("psql"));
  return await runCommand(psql, [...psqlArgs(cluster), "-d", "postgres", "-At", "-c", sql], {
    env: { PGPASSWORD: cluster.password },
    label,
  });
}

/** The exact argv used to apply migrations; exported so docs and reports can show it. */
export function dbPushArgs(workdir: string, databaseUrl: string): string[] {
  return ["db", "push", "--workdir", workdir, "--db-url", withSslDisabled(databaseUrl), "--yes"];
}

/**
 * Applies the migrations with `supabase db push`. The CLI runs in a scratch project folder inside the cluster folder
 * (its `supabase/migrations` is a symlink to the real one) so its `.temp` files never land in the repository.
 */
export async function pushMigrations(cluster: PostgresCluster, migrationsDir: string): Promise<string> {
  const cli = await requireBinary(SUPABASE_CLI);
  const workdir = `${cluster.dir}/cli-project`;
  await Deno.mkdir(`${workdir}/supabase`, { recursive: true });
  // Absolute target: a relative one would be read relative to the link's own folder.
  await Deno.symlink(resolve(migrationsDir), `${workdir}/supabase/migrations`);
  return await runCommand(cli, dbPushArgs(workdir, cluster.url), { label: "supabase db push" });
}

export interface DatabaseOptions extends PostgresOptions {
  bootstrapSql?: string;
  migrationsDir?: string;
  /** Password given to the `authenticator` role (PostgREST logs in with it). */
  authenticatorPassword: string;
}

export interface PreparedDatabase extends PostgresCluster {
  /** `postgresql://authenticator:…@127.0.0.1:<port>/postgres`, what PostgREST connects with. */
  authenticatorUrl: string;
}

/** Cluster + bootstrap + authenticator password + migrations. Cleans up the cluster if any step fails. */
export async function startDatabase(options: DatabaseOptions): Promise<PreparedDatabase> {
  const bootstrapSql = options.bootstrapSql ?? DEFAULT_BOOTSTRAP_SQL;
  const migrationsDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  // Checked before initdb so a wrong path fails in milliseconds, not after a cluster start.
  for (const path of [bootstrapSql, migrationsDir]) {
    await Deno.stat(path).catch(() => {
      throw new Error(`${path} does not exist`);
    });
  }
  const cluster = await startPostgresCluster(options);
  try {
    await runSqlFile(cluster, bootstrapSql);
    if (!/^[A-Za-z0-9_-]+$/.test(options.authenticatorPassword)) {
      throw new Error("authenticatorPassword must be letters, digits, '-' or '_' (it is inlined into SQL)");
    }
    await runSql(
      cluster,
      `alter role authenticator with login password '${options.authenticatorPassword}'`,
      "alter role authenticator",
    );
    await pushMigrations(cluster, migrationsDir);
    const authenticatorUrl =
      `postgresql://authenticator:${options.authenticatorPassword}@${cluster.host}:${cluster.port}/postgres`;
    return { ...cluster, authenticatorUrl };
  } catch (error) {
    await cluster.stop().catch(() => {});
    throw error;
  }
}
