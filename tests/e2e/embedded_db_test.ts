/**
 * The embedded Postgres (PGlite behind our wire-protocol server) end to end: bootstrap + migrations on a fresh
 * folder through the real Supabase CLI, the real PostgREST 12 on top (roles switched per request), data that
 * survives a restart on the same folder, many clients at once, and an idle transaction that must not block the rest.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { EmbeddedStartError } from "../../dev/embedded/errors.ts";
import {
  type EmbeddedPostgres,
  localMigrationVersions,
  startEmbeddedPostgres,
} from "../../dev/embedded/pglite_server.ts";
import { REPO_ROOT, requireBinary, runCommand, SUPABASE_CLI } from "../../dev/stack/commands.ts";
import { dbPushArgs, DEFAULT_MIGRATIONS_DIR } from "../../dev/stack/database.ts";
import { mintStackKeys, type StackKeys } from "../../dev/stack/keys.ts";
import { type PostgrestServer, startPostgrest } from "../../dev/stack/postgrest.ts";
import { type Sql, withSql } from "../support/sql.ts";

async function tempDataDir(): Promise<string> {
  await Deno.mkdir(`${REPO_ROOT}/.local`, { recursive: true });
  return await Deno.makeTempDir({ dir: `${REPO_ROOT}/.local`, prefix: "embedded-db-test-" });
}

async function rest(
  postgrest: PostgrestServer,
  key: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${postgrest.url}${path}`, {
    ...init,
    headers: { apikey: key, Authorization: `Bearer ${key}`, "Content-Type": "application/json", ...init.headers },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Starts PostgREST exactly as the local stack does, on the authenticator URL. */
async function postgrestOn(db: EmbeddedPostgres, keys: StackKeys, logDir: string): Promise<PostgrestServer> {
  return await startPostgrest({
    dbUri: db.authenticatorUrl,
    jwtSecret: keys.jwtSecret,
    logPath: `${logDir}/postgrest-${crypto.randomUUID()}.log`,
    // 240 requests queue on purpose for one single-threaded embedded database: wait for a connection, do not 504.
    poolAcquisitionTimeoutSeconds: 300,
  });
}

Deno.test("embedded Postgres: fresh folder, migrations via the CLI, PostgREST roles, data survives restart", async (t) => {
  const dataDir = await tempDataDir();
  const keys = await mintStackKeys();
  const marker = crypto.randomUUID();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    while (stops.length > 0) await stops.pop()!();
  };
  try {
    const first = await startEmbeddedPostgres({ dataDir });
    stops.push(first.stop);
    console.log("fresh start timings", first.timings);

    await t.step("a fresh folder gets every migration, recorded the way the CLI records them", async () => {
      assert.equal(first.timings.freshDataDir, true);
      const local = await localMigrationVersions(DEFAULT_MIGRATIONS_DIR);
      assert.ok(local.length > 0);
      assert.deepEqual(first.appliedMigrations, local);
      await withSql(first.databaseUrl, async (sql) => {
        const rows = await sql<{ version: string; name: string; statements: string[] }[]>`
          select version, name, statements from supabase_migrations.schema_migrations order by version`;
        assert.deepEqual(rows.map((r) => r.version), local);
        assert.ok(rows.every((r) => r.name.length > 0 && r.statements.length > 0));
        const roles = await sql<{ rolname: string }[]>`
          select rolname from pg_roles
          where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by rolname`;
        assert.deepEqual(roles.map((r) => r.rolname), ["anon", "authenticated", "authenticator", "service_role"]);
      });
    });

    await t.step("the real CLI agrees that nothing is left to push", async () => {
      const cli = await requireBinary(SUPABASE_CLI);
      const workdir = await Deno.makeTempDir({ prefix: "embedded-db-test-cli-" });
      try {
        await Deno.mkdir(`${workdir}/supabase`);
        await Deno.symlink(await Deno.realPath(DEFAULT_MIGRATIONS_DIR), `${workdir}/supabase/migrations`);
        const output = await runCommand(cli, dbPushArgs(workdir, first.databaseUrl), { label: "supabase db push" });
        assert.match(output, /Remote database is up to date/);
      } finally {
        await Deno.remove(workdir, { recursive: true });
      }
    });

    await t.step("a second server on the same folder is refused while the first runs", async () => {
      await assert.rejects(
        () => startEmbeddedPostgres({ dataDir, applySchema: false }),
        (error: unknown) => error instanceof EmbeddedStartError && /already in use by process/.test(error.message),
      );
    });

    const postgrest = await postgrestOn(first, keys, dataDir);
    stops.push(postgrest.stop);

    await t.step(
      "PostgREST: the service role reads exchange_connections, the anon key sees nothing, a member reads",
      async () => {
        const service = await rest(
          postgrest,
          keys.serviceRoleKey,
          "/exchange_connections?select=exchange_name&order=exchange_name",
        );
        assert.equal(service.status, 200);
        assert.deepEqual(service.body, [{ exchange_name: "binance" }, { exchange_name: "okx" }]);

        const anon = await rest(postgrest, keys.anonKey, "/exchange_connections?select=exchange_name");
        assert.equal(anon.status, 401);
        assert.equal((anon.body as { code: string }).code, "42501"); // permission denied: no rows, no columns

        // A signed-in user reads nothing until a member (issue 12), then both rows.
        const path = "/exchange_connections?select=exchange_name";
        const stranger = await rest(postgrest, keys.authenticatedKey, path);
        assert.equal(stranger.status, 200);
        assert.deepEqual(stranger.body, []);
        const added = await rest(postgrest, keys.serviceRoleKey, "/members", {
          method: "POST",
          body: JSON.stringify({ user_id: keys.authenticatedUserId, role: "viewer" }),
        });
        assert.equal(added.status, 201);
        const user = await rest(postgrest, keys.authenticatedKey, path);
        assert.equal(user.status, 200);
        assert.equal((user.body as unknown[]).length, 2);
      },
    );

    await t.step("PostgREST writes as the service role; the anon key may not", async () => {
      const written = await rest(postgrest, keys.serviceRoleKey, "/exchange_connections?exchange_name=eq.okx", {
        method: "PATCH",
        headers: { Prefer: "return=representation" },
        body: JSON.stringify({ last_error: marker }),
      });
      assert.equal(written.status, 200);
      assert.equal((written.body as Array<{ last_error: string }>)[0].last_error, marker);

      const refused = await rest(postgrest, keys.anonKey, "/exchange_connections?exchange_name=eq.okx", {
        method: "PATCH",
        body: JSON.stringify({ last_error: "anon was here" }),
      });
      assert.equal(refused.status, 401);

      // Role switching is per request: the next request is back to the service role, the session is not left as anon.
      await withSql(first.databaseUrl, async (sql) => {
        const [row] = await sql<{ role: string; last_error: string }[]>`
          select current_user::text as role, last_error from exchange_connections where exchange_name = 'okx'`;
        assert.deepEqual(row, { role: "postgres", last_error: marker });
      });
    });

    await stopAll();

    const second = await startEmbeddedPostgres({ dataDir });
    stops.push(second.stop);
    console.log("existing folder start timings", second.timings);

    await t.step("restart on the same folder: nothing to apply, the data written before is there", async () => {
      assert.equal(second.timings.freshDataDir, false);
      assert.deepEqual(second.appliedMigrations, []);
      const postgrestAgain = await postgrestOn(second, keys, dataDir);
      stops.push(postgrestAgain.stop);
      const read = await rest(
        postgrestAgain,
        keys.serviceRoleKey,
        "/exchange_connections?select=exchange_name,last_error&exchange_name=eq.okx",
      );
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, [{ exchange_name: "okx", last_error: marker }]);
    });
  } finally {
    await stopAll();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("embedded Postgres: PostgREST's pool and postgres.js clients at once, and an idle transaction is evicted", async (t) => {
  const dataDir = await tempDataDir();
  const keys = await mintStackKeys();
  const db = await startEmbeddedPostgres({ dataDir, ownerIdleTimeoutMs: 1_000 });
  let postgrest: PostgrestServer | undefined;
  // Several connections with postgres.js's default named prepared statements, next to PostgREST's pool of 10.
  const sql: Sql = postgres(db.databaseUrl, { max: 4, onnotice: () => {}, connect_timeout: 10 });
  try {
    postgrest = await postgrestOn(db, keys, dataDir);
    const server = postgrest;

    await t.step("interleaved requests and transactions all succeed with their own answers", async () => {
      const rounds = 60;
      const jobs: Promise<void>[] = [];
      for (let i = 0; i < rounds; i++) {
        jobs.push((async () => {
          const read = await rest(server, keys.serviceRoleKey, "/exchange_connections?select=exchange_name");
          assert.equal(read.status, 200);
          assert.equal((read.body as unknown[]).length, 2);
        })());
        jobs.push((async () => {
          const write = await rest(server, keys.serviceRoleKey, "/latency_logs", {
            method: "POST",
            body: JSON.stringify({ venue: "okx", latency_ms: i }),
          });
          assert.equal(write.status, 201);
        })());
        jobs.push((async () => {
          const denied = await rest(server, keys.anonKey, "/latency_logs?select=id");
          assert.equal(denied.status, 401);
        })());
        jobs.push((async () => {
          const [row] = await sql<{ i: number; n: number }[]>`
            select ${i}::int as i, (select count(*)::int from exchange_connections) as n`;
          assert.deepEqual(row, { i, n: 2 });
          await sql.begin(async (tx) => {
            await tx`insert into latency_logs (venue, latency_ms) values ('binance', ${i})`;
            const [own] = await tx<{ n: number }[]>`
              select count(*)::int as n from latency_logs where venue = 'binance' and latency_ms = ${i}`;
            assert.equal(own.n, 1);
          });
        })());
      }
      await Promise.all(jobs);
      const [counts] = await sql<{ okx: number; binance: number }[]>`
        select count(*) filter (where venue = 'okx')::int as okx, count(*) filter (where venue = 'binance')::int as binance
        from latency_logs`;
      assert.deepEqual(counts, { okx: rounds, binance: rounds });
    });

    await t.step("a connection idle in a transaction is rolled back and closed so others can go on", async () => {
      const holder = postgres(db.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
      try {
        const reserved = await holder.reserve();
        await reserved`begin`;
        await reserved`insert into latency_logs (venue, latency_ms) values ('okx', 424242)`;
        // This waits for the session the holder keeps, until the holder is evicted (after its 1 s idle limit).
        const read = await rest(server, keys.serviceRoleKey, "/latency_logs?select=id&latency_ms=eq.424242");
        assert.equal(read.status, 200);
        assert.deepEqual(read.body, []); // the holder's insert was rolled back
        // (No further query on `reserved`: postgres.js 3.4.9 throws an uncaught TypeError writing to a socket the
        // server closed, instead of rejecting the query.)
        reserved.release();
      } finally {
        await holder.end({ timeout: 5 });
      }
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from latency_logs where latency_ms = 424242`;
      assert.equal(row.n, 0);
      assert.match(await Deno.readTextFile(db.logPath), /held the only session for \d+ ms .* rolled back and closed/);
    });
  } finally {
    await sql.end({ timeout: 5 });
    await postgrest?.stop();
    await db.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
