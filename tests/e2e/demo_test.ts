/**
 * `deno task demo` end to end, as CI runs it: scripts/demo.ts as a subprocess on a fresh data folder, about a minute,
 * then the tables read back from the embedded database it left behind (which also proves the data persists). A
 * second run on the same folder is stopped with SIGINT, as Ctrl-C would. After each run: exit code 0, no process
 * left, neither the pids it printed nor anything else that carries this test's marker in its environment.
 *
 * The demo's own market is a random walk stepped by the clock, so whether a given minute holds a round trip would
 * depend on how fast a busy machine runs the bursts. Once the demo is ready, the test scripts one round trip on ETH/USDT
 * over the simulator's admin API, moving one point per quote request (advance: read), so the first burst sees it
 * whatever the load.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../../dev/embedded/pglite_server.ts";
import { REPO_ROOT } from "../../dev/stack/commands.ts";
import { entryThen } from "../support/reliability.ts";

const DEMO = `${REPO_ROOT}/scripts/demo.ts`;
/** Enough for a fresh start-up, the 60 s run and the stop on a slow machine; a hang fails instead of blocking CI. */
const RUN_LIMIT_MS = 240_000;

interface ReadyLine {
  event: "ready";
  mode: string;
  gatewayUrl: string;
  databaseUrl: string;
  secretKey: string;
  serviceRoleKey: string | null;
  publishableKey: string;
  /** The web dashboard, with the demo operator's session in the fragment. */
  dashboardUrl: string | null;
  dataDir: string;
  logPath: string;
  startupMs: number;
  pids: { main: number; database: number | null; stack: number[] };
  simulator: { adminUrl: string };
}

/** Rising, a dip that fills the resting paper buy, then a take profit, on both venues: one round trip each. */
async function scriptRoundTrip(ready: ReadyLine): Promise<void> {
  for (const venue of ["binance", "okx"]) {
    const res = await fetch(`${ready.simulator.adminUrl}/path`, {
      method: "POST",
      body: JSON.stringify({
        venue,
        symbol: "ETH/USDT",
        points: entryThen(3200, { bid: 3240, ask: 3240.5 }),
        advance: "read",
      }),
    });
    assert.equal(res.status, 200, await res.text());
  }
}

/**
 * The web dashboard the demo serves: the page and its config (publishable key only), and the session in the URL is
 * the seeded operator's. The page itself is driven in a real browser by dashboard_web_test.ts.
 */
async function checkWebDashboard(ready: ReadyLine): Promise<void> {
  assert.ok(ready.dashboardUrl, "the ready line has the dashboard URL");
  const url = new URL(ready.dashboardUrl);
  const session = /^#session=(.+)$/.exec(url.hash)?.[1];
  assert.ok(session, "the URL hands over a session");
  const page = await fetch(new URL("/", url));
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="\.\/app\.js">/);
  const config = await (await fetch(new URL("/config.json", url))).json();
  assert.deepEqual(config, { supabaseUrl: ready.gatewayUrl, publishableKey: ready.publishableKey });
  const role = await fetch(`${ready.gatewayUrl}/rest/v1/rpc/member_role`, {
    method: "POST",
    headers: { apikey: ready.publishableKey, authorization: `Bearer ${session}`, "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(await role.json(), "operator", "the handed-over session is an operator's");
}

/** A running demo whose stdout and stderr are collected line by line as they arrive. */
class DemoProcess {
  readonly child: Deno.ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly #drained: Promise<void>;
  readonly #killTimer: ReturnType<typeof setTimeout>;
  #waiters: Array<() => void> = [];

  constructor(args: string[], env: Record<string, string>) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", `${REPO_ROOT}/deno.json`, DEMO, ...args],
      cwd: REPO_ROOT,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#drained = Promise.all([
      this.#collect(this.child.stdout, this.stdout),
      this.#collect(this.child.stderr, this.stderr),
    ])
      .then(() => {});
    // Bounded: a demo that never stops is killed, and the exit code assertion then fails.
    this.#killTimer = setTimeout(() => this.child.kill("SIGKILL"), RUN_LIMIT_MS);
  }

  async #collect(stream: ReadableStream<Uint8Array>, lines: string[]): Promise<void> {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (pending + text).split("\n");
      pending = parts.pop() ?? "";
      lines.push(...parts);
      for (const wake of this.#waiters.splice(0)) wake();
    }
    if (pending) lines.push(pending);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves with the first line matching, or rejects once the process has ended without one. */
  async waitFor(lines: string[], match: RegExp): Promise<string> {
    let ended = false;
    this.child.status.then(() => ended = true);
    // Bounded by the kill timer: every new line or the end of the process wakes this loop.
    for (let round = 0; round < 1_000_000; round++) {
      const found = lines.find((line) => match.test(line));
      if (found) return found;
      if (ended) {
        await this.#drained;
        const late = lines.find((line) => match.test(line));
        if (late) return late;
        throw new Error(`the demo ended without printing ${match}:\n${this.stderr.join("\n")}`);
      }
      await Promise.race([new Promise<void>((resolve) => this.#waiters.push(resolve)), this.child.status]);
    }
    throw new Error(`gave up waiting for ${match}`);
  }

  async finished(): Promise<Deno.CommandStatus> {
    const status = await this.child.status;
    await this.#drained;
    clearTimeout(this.#killTimer);
    return status;
  }

  ready(): ReadyLine {
    assert.ok(this.stdout.length > 0, `no stdout; stderr:\n${this.stderr.join("\n")}`);
    const line = JSON.parse(this.stdout[0]) as ReadyLine;
    assert.equal(line.event, "ready", "the first stdout line is the ready JSON");
    return line;
  }
}

/** Linux: alive unless /proc has no entry for it or it is a zombie. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Every process whose environment carries `marker` (the demo's children inherit it from the demo). */
async function processesWithMarker(marker: string): Promise<number[]> {
  const found: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const environ = await Deno.readTextFile(`/proc/${entry.name}/environ`);
      if (environ.split("\0").includes(marker) && await isAlive(Number(entry.name))) found.push(Number(entry.name));
    } catch {
      // Gone in between, or a kernel thread.
    }
  }
  return found;
}

async function assertNothingLeft(ready: ReadyLine, marker: string): Promise<void> {
  const printed = [ready.pids.main, ready.pids.database, ...ready.pids.stack].filter((pid): pid is number =>
    pid !== null
  );
  assert.ok(printed.length >= 5, `main, database, PostgREST and three functions: ${printed}`);
  const alive = [];
  for (const pid of printed) if (await isAlive(pid)) alive.push(pid);
  assert.deepEqual(alive, [], "every pid the demo printed has exited");
  assert.deepEqual(await processesWithMarker(marker), [], "no process started by the demo is left");
}

function spawnDemo(args: string[], marker: string): DemoProcess {
  const [name, value] = marker.split("=");
  return new DemoProcess(args, { [name]: value, NO_COLOR: "1", DATABASE_URL: "" });
}

Deno.test({
  name: "the demo trades on the simulated market within a minute and stops cleanly",
  sanitizeOps: true,
  sanitizeResources: true,
}, async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "demo-test-" });
  const marker = `DEMO_TEST_MARKER=${crypto.randomUUID()}`;
  try {
    let firstRunEnded = new Date(0);
    let leftRunning = -1;

    await t.step("a fresh run (--reset, --duration 60) exits 0 and leaves no process behind", async () => {
      const demo = spawnDemo(["--reset", "--no-dashboard", "--duration", "60", "--data-dir", dataDir], marker);
      await demo.waitFor(demo.stdout, /^\{"event":"ready"/);
      await scriptRoundTrip(demo.ready());
      const status = await demo.finished();
      firstRunEnded = new Date();
      const stderr = demo.stderr.join("\n");
      assert.equal(status.code, 0, `exit code; stderr:\n${stderr}`);
      const ready = demo.ready();
      assert.equal(ready.mode, "paper");
      assert.equal(ready.dataDir, await Deno.realPath(dataDir));
      assert.match(stderr, /PAPER mode/, "the mode is said on screen");
      assert.match(stderr, /immediate round at start/, "the extra first round is said on screen");
      assert.match(stderr, /trade-burst "\* \* \* \* \*"/, "the production cadence is said on screen");
      assert.match(stderr, /demo: stopped cleanly$/m);
      assert.ok(demo.stdout.slice(1).some((line) => line.startsWith("[t+")), "plain progress lines were printed");
      await assertNothingLeft(ready, marker);
    });

    await t.step("the tables it left show balances, latency bands, orders, positions, PnL", async () => {
      const db = await startEmbeddedPostgres({ dataDir, applySchema: false });
      const sql = postgres(db.databaseUrl, { max: 1, onnotice: () => {} });
      try {
        const venues = await sql<{ exchange_name: string; balance_status: string; balance_source: string }[]>`
          select exchange_name, balance_status, balance_source from public.exchange_connections
          where exchange_name in ('binance', 'okx') order by exchange_name`;
        assert.deepEqual(venues.map((v) => [v.exchange_name, v.balance_status, v.balance_source]), [
          ["binance", "ok", "paper"],
          ["okx", "ok", "paper"],
        ]);
        const bands = await sql<{ exchange_name: string; latency_band: string | null; samples: string }[]>`
          select c.exchange_name, c.latency_band,
                 (select count(*) from public.latency_logs l where l.venue = c.exchange_name and l.success)::text
                   as samples
          from public.exchange_connections c where c.exchange_name in ('binance', 'okx') order by 1`;
        for (const venue of bands) {
          assert.ok(venue.latency_band, `${venue.exchange_name} has a latency band`);
          assert.ok(Number(venue.samples) > 0, `${venue.exchange_name} has successful latency samples`);
        }
        const [{ mode }] = await sql<{ mode: string }[]>`select mode from public.bot_settings where id = 1`;
        assert.equal(mode, "paper");
        const [{ running }] = await sql<{ running: number }[]>`
          select count(*)::int as running from public.function_runs where outcome = 'running'`;
        leftRunning = running;

        const orders = await sql<{ purpose: string; order_status: string; mode: string }[]>`
          select purpose, order_status, mode from public.orders`;
        assert.ok(orders.some((o) => o.purpose === "entry" && o.order_status === "filled"), "a filled entry");
        // A sell that filled: a market exit of the burst's or a protection leg on the (paper) venue.
        assert.ok(orders.some((o) => o.purpose !== "entry" && o.order_status === "filled"), "a filled exit");
        assert.ok(orders.every((o) => o.mode === "paper"), "paper orders only");

        const closed = await sql<{ id: string; realized_pnl: string | null; exit_reason: string | null }[]>`
          select id::text, realized_pnl::text, exit_reason from public.positions where status = 'closed'`;
        assert.ok(closed.length >= 1, "at least one closed position");
        const logs = await sql<{ position_id: string; pnl: string; order_id: string | null }[]>`
          select position_id::text, pnl::text, order_id from public.trade_logs`;
        for (const position of closed) {
          assert.ok(position.realized_pnl !== null, `position ${position.id} has a realized PnL`);
          assert.ok(position.exit_reason, `position ${position.id} has an exit reason`);
          const log = logs.find((row) => row.position_id === position.id);
          assert.ok(log, `closed position ${position.id} has its trade_logs row`);
          assert.equal(Number(log.pnl), Number(position.realized_pnl), "trade_logs.pnl is the position's PnL");
        }
      } finally {
        await sql.end({ timeout: 5 });
        await db.stop();
      }
    });

    // The first run had legacy keys beside the new ones; the second is a project created today: new keys only.
    await t.step(
      "a second run (--new-keys-only) keeps the data, clears leftover leases, and stops on SIGINT",
      async () => {
        const [before] = await withDb(dataDir, (sql) => sql`select count(*)::int as n from public.positions`);
        const demo = spawnDemo(["--no-dashboard", "--new-keys-only", "--data-dir", dataDir], marker);
        await demo.waitFor(demo.stdout, /^\{"event":"ready"/);
        assert.equal(demo.ready().serviceRoleKey, null, "no legacy key in new-keys-only mode");
        assert.match(demo.ready().secretKey, /^sb_secret_/);
        // The scheduler's calls, made with the secret key in apikey, are accepted (the first round runs these two).
        await demo.waitFor(demo.stderr, /latency-sample: HTTP 200/);
        await demo.waitFor(demo.stderr, /balance-sync: HTTP 200/);
        await demo.waitFor(demo.stderr, /trade-burst: started/);
        await checkWebDashboard(demo.ready());
        // The marker check below is only meaningful if the running demo's processes carry it.
        const running = await processesWithMarker(marker);
        assert.ok(running.length >= 6, `demo, database, PostgREST and three functions carry the marker: ${running}`);
        demo.child.kill("SIGINT");
        const status = await demo.finished();
        const stderr = demo.stderr.join("\n");
        assert.equal(status.code, 0, `exit code; stderr:\n${stderr}`);
        assert.match(stderr, /existing data/, "the embedded database reopened the folder");
        assert.match(stderr, /signal received: stopping/);
        assert.match(stderr, /demo: stopped cleanly$/m);
        await assertNothingLeft(demo.ready(), marker);

        const [leftover, abandoned, after] = await withDb(
          dataDir,
          (sql) =>
            sql`select (select count(*) from public.function_runs where outcome = 'running'
                    and started_at < ${firstRunEnded})::int as leftover,
                   (select count(*) from public.function_runs where outcome = 'abandoned'
                    and error like '%previous demo stopped%')::int as abandoned,
                   (select count(*) from public.positions)::int as n`,
        );
        assert.ok(after >= before && before >= 1, `positions kept: ${before} before, ${after} after`);
        assert.equal(leftover, 0, "nothing the first demo left running is still running");
        assert.equal(abandoned, leftRunning, "exactly the runs the first demo left running were marked abandoned");
      },
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

/** Opens the data folder's database, runs one query returning one row, closes everything; returns its values. */
async function withDb(dataDir: string, query: (sql: postgres.Sql) => Promise<postgres.Row[]>): Promise<number[]> {
  const db = await startEmbeddedPostgres({ dataDir, applySchema: false });
  const sql = postgres(db.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await query(sql);
    return Object.values(row).map(Number);
  } finally {
    await sql.end({ timeout: 5 });
    await db.stop();
  }
}
