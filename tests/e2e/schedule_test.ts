/**
 * One source of truth for the cadence, proven against a real database: the pg_cron jobs the migration created
 * (`cron.job`, real pg_cron) and the jobs the local scheduler reads through the gateway are the same names, cron
 * expressions, bodies and timeouts, also after an edit; the local scheduler's calls go through the gateway for real;
 * and the migrations still apply, with notices, on a database where pg_cron cannot be installed.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { REPO_ROOT } from "../../dev/stack/commands.ts";
import { DEFAULT_BOOTSTRAP_SQL, DEFAULT_MIGRATIONS_DIR } from "../../dev/stack/database.ts";
import { jobAction, loadCadence, type ScheduledJob } from "../../dev/schedule/cadence.ts";
import { createLocalScheduler } from "../../dev/schedule/local.ts";
import type { SchedulerEvent } from "../../dev/schedule/scheduler.ts";
import { KEY_MODES, type KeyMode } from "../../dev/stack/stack.ts";
import { clientKey, gatewayClient, serverKey, type Stack, userClient, withStack } from "../support/stack.ts";
import { type Sql, withSql } from "../support/sql.ts";

const FUNCTION_NAMES = ["balance-sync", "latency-sample", "trade-burst"];

/** Stand-ins for the three functions: they answer with what they received, so the test sees each call as made. */
const ECHO_FUNCTION = `
Deno.serve(async (req) => {
  // The two credentials a real function accepts: a secret key in apikey, or the legacy service role bearer.
  const secretKeys = Object.values(JSON.parse(Deno.env.get("SUPABASE_SECRET_KEYS") || "{}"));
  const legacyKey = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY");
  return Response.json({
    path: new URL(req.url).pathname,
    body: await req.json(),
    service_role: secretKeys.includes(req.headers.get("apikey")) ||
      (!!legacyKey && req.headers.get("authorization") === "Bearer " + legacyKey),
  });
});
`;

async function writeEchoFunctions(): Promise<string> {
  await Deno.mkdir(`${REPO_ROOT}/.local`, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: `${REPO_ROOT}/.local`, prefix: "schedule-functions-" });
  for (const name of FUNCTION_NAMES) {
    await Deno.mkdir(`${dir}/${name}`);
    await Deno.writeTextFile(`${dir}/${name}/index.ts`, ECHO_FUNCTION);
  }
  return dir;
}

/** A job in neutral terms, built from a cron.job row or from the local cadence. */
interface JobView {
  name: string;
  cron: string;
  action:
    | { kind: "edge_function"; functionName: string; body: unknown; timeoutMs: number }
    | { kind: "retention" }
    // Issue 18: the calls are computed at run time by function_schedule_invocations (per venue and region).
    | { kind: "fan_out"; schedule: string };
}

const EDGE_COMMAND = /^select public\.invoke_edge_function\('([a-z0-9-]+)', '((?:[^']|'')*)'::jsonb, (\d+)\)$/;
const RETENTION_COMMAND = "select public.prune_old_rows()";
const FAN_OUT_COMMAND = /^select public\.run_function_schedule\('([a-z0-9-]+)'\)$/;

/** Reads a cron.job command back into what it does; fails on anything that is not one of the two known shapes. */
function parseCronCommand(command: string): JobView["action"] {
  if (command === RETENTION_COMMAND) return { kind: "retention" };
  const fanOut = command.match(FAN_OUT_COMMAND);
  if (fanOut) return { kind: "fan_out", schedule: fanOut[1] };
  const match = command.match(EDGE_COMMAND);
  assert.ok(match, `unexpected cron command: ${command}`);
  return {
    kind: "edge_function",
    functionName: match[1],
    body: JSON.parse(match[2].replaceAll("''", "'")),
    timeoutMs: Number(match[3]),
  };
}

/**
 * pg_cron's own watcher of the regional calls it sent (issue 18): no local counterpart, the local scheduler re-sends
 * an unanswered call itself (dev/schedule/fallback.ts).
 */
const REGIONAL_CHECK = { name: "regional-call-check", command: "select public.check_regional_calls()" };

async function cronJobs(sql: Sql): Promise<{ jobs: JobView[]; regionalCheck: boolean }> {
  const rows = await sql<{ jobname: string; schedule: string; command: string; active: boolean }[]>`
    select jobname, schedule, command, active from cron.job order by jobname`;
  assert.ok(rows.every((row) => row.active), "every cron job is active");
  const watcher = rows.filter((row) => row.jobname === REGIONAL_CHECK.name);
  assert.ok(watcher.every((row) => row.command === REGIONAL_CHECK.command), JSON.stringify(watcher));
  return {
    jobs: rows.filter((row) => row.jobname !== REGIONAL_CHECK.name)
      .map((row) => ({ name: row.jobname, cron: row.schedule, action: parseCronCommand(row.command) })),
    regionalCheck: watcher.length === 1,
  };
}

function localJobs(jobs: readonly ScheduledJob[]): JobView[] {
  return jobs.filter((job) => job.enabled).map((job) => {
    if (job.fanOut !== "none") {
      return { name: job.name, cron: job.cron, action: { kind: "fan_out", schedule: job.name } };
    }
    const action = jobAction(job);
    return {
      name: job.name,
      cron: job.cron,
      action: action.kind === "retention" ? { kind: "retention" } : {
        kind: "edge_function",
        functionName: action.functionName,
        body: action.body,
        timeoutMs: action.timeoutMs,
      },
    };
  });
}

async function assertCadenceAgrees(stack: Stack): Promise<JobView[]> {
  const local = localJobs(await loadCadence(gatewayClient(stack, serverKey(stack))));
  const cron = await withSql(stack.databaseUrl, cronJobs);
  assert.deepEqual(cron.jobs, local);
  // The watcher runs while some enabled job fans out to regions, and only then.
  assert.equal(cron.regionalCheck, local.some((job) => job.action.kind === "fan_out"), "regional-call-check job");
  return local;
}

for (const keyMode of KEY_MODES) {
  Deno.test(`pg_cron jobs and the local scheduler run the same cadence (${keyMode})`, (t) => cadenceTest(t, keyMode));
}

async function cadenceTest(t: Deno.TestContext, keyMode: KeyMode): Promise<void> {
  const functionsDir = await writeEchoFunctions();
  try {
    await withStack({ functionsDir, keyMode }, async (stack) => {
      await t.step("the real cron.job rows equal the local scheduler's jobs", async () => {
        const jobs = await assertCadenceAgrees(stack);
        // And they are the default cadence the issue asks for.
        assert.deepEqual(jobs.map((job) => `${job.name} ${job.cron}`), [
          "balance-sync */5 * * * *",
          "latency-sample * * * * *",
          "prune-old-rows 0 3 * * *",
          "trade-burst * * * * *",
        ]);
        const burstJob = (await loadCadence(gatewayClient(stack, serverKey(stack)))).find((j) =>
          j.name === "trade-burst"
        )!;
        const burst = jobAction(burstJob);
        assert.ok(burst.kind === "edge_function");
        assert.deepEqual(burst.body, { duration_ms: 45000 });
        assert.ok(burst.timeoutMs > 45000, "the request outlives the burst");
      });

      await t.step("an edit through the API moves both, and they still agree", async () => {
        const service = gatewayClient(stack, serverKey(stack));
        const updated = await service.from("function_schedules")
          .update({ cron: "*/2 * * * *", body: { venues: ["okx"] } }).eq("name", "balance-sync").select("name");
        assert.equal(updated.error, null, JSON.stringify(updated.error));
        const disabled = await service.from("function_schedules").update({ enabled: false }).eq("name", "trade-burst")
          .select("name");
        assert.equal(disabled.error, null, JSON.stringify(disabled.error));

        const jobs = await assertCadenceAgrees(stack);
        assert.deepEqual(jobs.map((job) => job.name), ["balance-sync", "latency-sample", "prune-old-rows"]);
        assert.deepEqual(jobs[0], {
          name: "balance-sync",
          cron: "*/2 * * * *",
          action: { kind: "edge_function", functionName: "balance-sync", body: { venues: ["okx"] }, timeoutMs: 30000 },
        });

        const restored = await service.from("function_schedules").update({ enabled: true }).eq("name", "trade-burst")
          .select("name");
        assert.equal(restored.error, null, JSON.stringify(restored.error));
        await assertCadenceAgrees(stack);
      });

      await t.step("a member can read the cadence but not change it; a non-member reads none", async () => {
        const user = userClient(stack);
        assert.equal((await loadCadence(user)).length, 0, "not a member yet");
        await withSql(
          stack.databaseUrl,
          (sql) => sql`insert into public.members (user_id, role) values (${stack.authenticatedUserId}, 'viewer')`,
        );
        assert.equal((await loadCadence(user)).length, 4);
        const attempt = await user.from("function_schedules").update({ cron: "0 0 * * *" }).eq("name", "trade-burst")
          .select("name");
        assert.notEqual(attempt.error, null, "the update is refused");
        const anon = await gatewayClient(stack, clientKey(stack)).from("function_schedules").select("name");
        assert.notEqual(anon.error, null, "anon cannot read it");
      });

      await t.step(
        "the local scheduler's calls reach the functions and the retention RPC through the gateway",
        async () => {
          const oldSample = await withSql(stack.databaseUrl, (sql) =>
            sql<{ id: string }[]>`
            insert into public.latency_logs (venue, latency_ms, ts) values ('okx', 33, now() - interval '400 days')
            returning id::text`);
          const events: SchedulerEvent[] = [];
          const scheduler = await createLocalScheduler({
            url: stack.gatewayUrl,
            serverKey: serverKey(stack),
            onEvent: (event) => events.push(event),
          });
          const jobs = scheduler.jobs;
          assert.deepEqual(scheduler.runNow(), ["balance-sync", "latency-sample", "prune-old-rows", "trade-burst"]);
          await scheduler.idle();

          const answers = new Map(
            events.flatMap((event) => event.type === "finished" ? [[event.job, event.result] as const] : []),
          );
          assert.deepEqual(events.filter((event) => event.type === "failed"), []);
          for (const job of jobs.filter((job) => job.kind === "edge_function" && job.fanOut === "none")) {
            assert.deepEqual(answers.get(job.name), {
              status: 200,
              body: { path: `/${job.name}`, body: job.body, service_role: true },
            }, job.name);
          }
          // Fanned out (issue 18). No home region yet: one burst call with the row's body and no region (as before).
          assert.deepEqual(answers.get("trade-burst"), {
            status: 200,
            body: [{
              region: null,
              venues: null,
              status: 200,
              body: { path: "/trade-burst", body: { duration_ms: 45000 }, service_role: true },
            }],
          });
          // A fresh database: latency-sample goes to each venue from each default candidate region.
          const regions = ["ap-northeast-1", "ap-southeast-1", "eu-central-1", "us-east-1"];
          assert.deepEqual(
            answers.get("latency-sample"),
            {
              status: 200,
              body: ["binance", "okx"].flatMap((venue) =>
                regions.map((region) => ({
                  region,
                  venues: [venue],
                  status: 200,
                  body: { path: "/latency-sample", body: { venues: [venue] }, service_role: true },
                }))
              ),
            },
          );
          const pruned = answers.get("prune-old-rows");
          assert.equal(pruned?.status, 200);
          assert.equal((pruned?.body as { latency_logs_deleted: number }).latency_logs_deleted, 1);
          const left = await withSql(
            stack.databaseUrl,
            (sql) => sql`select 1 from public.latency_logs where id = ${oldSample[0].id}::bigint`,
          );
          assert.equal(left.length, 0, "the 400-day-old sample is gone");
        },
      );

      // Does not depend on the keys: run once, in the with-legacy test (ignored, and reported so, in the other).
      const name = "the migrations apply where pg_cron cannot be installed, and say what they skipped";
      await t.step({
        name,
        ignore: keyMode !== "with-legacy",
        fn: async () => {
          const database = `no_cron_${crypto.randomUUID().replaceAll("-", "")}`;
          await withSql(stack.databaseUrl, (sql) => sql.unsafe(`create database ${database}`));
          const url = new URL(stack.databaseUrl);
          url.pathname = `/${database}`;
          const notices: string[] = [];
          const sql = postgres(url.toString(), {
            max: 1,
            connect_timeout: 10,
            onnotice: (notice) => notices.push(String(notice.message)),
          });
          try {
            await sql.unsafe(await Deno.readTextFile(DEFAULT_BOOTSTRAP_SQL));
            // The bootstrap quiets notices for its own session; the migrations' notices are what this step checks.
            await sql.unsafe("set client_min_messages = notice");
            const files = [...Deno.readDirSync(DEFAULT_MIGRATIONS_DIR)].map((entry) => entry.name)
              .filter((name) => name.endsWith(".sql")).sort();
            for (const file of files) await sql.unsafe(await Deno.readTextFile(`${DEFAULT_MIGRATIONS_DIR}/${file}`));

            const joined = notices.join("\n");
            assert.match(joined, /scheduling: pg_cron is available but could not be installed here/);
            assert.match(joined, /scheduling: pg_net is not available on this server/);
            assert.match(joined, /scheduling: Vault \(supabase_vault\) is not available on this server/);
            assert.match(joined, /sync_function_schedules: pg_cron is not installed; no cron jobs/);
            const [{ schedules, cron_schema }] = await sql<{ schedules: number; cron_schema: boolean }[]>`
            select (select count(*)::int from public.function_schedules) as schedules,
                   exists (select 1 from pg_namespace where nspname = 'cron') as cron_schema`;
            assert.equal(schedules, 4, "the cadence is there for the local scheduler");
            assert.equal(cron_schema, false, "no pg_cron in this database");
          } finally {
            await sql.end({ timeout: 5 });
            await withSql(stack.databaseUrl, (admin) => admin.unsafe(`drop database ${database} with (force)`));
          }
        },
      });
    });
  } finally {
    await Deno.remove(functionsDir, { recursive: true });
  }
}
