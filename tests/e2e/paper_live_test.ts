/**
 * `deno task paper-live` without a real exchange: the venues' origins are replaced (PAPER_LIVE_BINANCE_URL,
 * PAPER_LIVE_OKX_URL) by loopback addresses. A closed port and a port that never answers must give the clear
 * "cannot reach …" message and exit code 3 before anything starts; the exchange simulator standing in for the
 * venues shows the rest of the path: public data only (no keys, nothing signed), paper fills, a clean stop.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../../dev/embedded/pglite_server.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import { REPO_ROOT } from "../../dev/stack/commands.ts";

const PAPER_LIVE = `${REPO_ROOT}/scripts/paper_live.ts`;
/** A hang fails the test instead of blocking it. */
const RUN_LIMIT_MS = 120_000;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function runPaperLive(args: string[], env: Record<string, string>): Promise<Outcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${REPO_ROOT}/deno.json`, PAPER_LIVE, ...args],
    cwd: REPO_ROOT,
    env: { DATABASE_URL: "", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
  try {
    const output = await child.output();
    const decoder = new TextDecoder();
    return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** A loopback port nothing listens on (it was free a moment ago). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("paper-live says which venue it cannot reach and exits 3 before starting anything", async (t) => {
  const parent = await Deno.makeTempDir({ prefix: "paper-live-test-" });
  const dataDir = `${parent}/data`;
  try {
    await t.step("a closed port: connection refused, for each venue", async () => {
      const port = closedPort();
      const result = await runPaperLive(["--no-dashboard", "--data-dir", dataDir], {
        PAPER_LIVE_BINANCE_URL: `http://127.0.0.1:${port}`,
        PAPER_LIVE_OKX_URL: `http://127.0.0.1:${port}`,
      });
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, new RegExp(`cannot reach 127\\.0\\.0\\.1:${port} \\(binance\\): connection refused`));
      assert.match(result.stderr, new RegExp(`cannot reach 127\\.0\\.0\\.1:${port} \\(okx\\): connection refused`));
      assert.match(result.stderr, /nothing was started/);
      assert.equal(result.stdout, "", "no ready line: nothing started");
      assert.equal(await exists(dataDir), false, "not even the data folder was created");
    });

    await t.step("a port that accepts but never answers: the probe gives up after its timeout", async () => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const held: Deno.Conn[] = [];
      // Accepts and holds every connection without a byte in reply, like a black-holed proxy.
      const accepting = (async () => {
        for await (const conn of listener) held.push(conn);
      })();
      try {
        const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
        const result = await runPaperLive(["--no-dashboard", "--data-dir", dataDir, "--probe-timeout-ms", "1000"], {
          PAPER_LIVE_BINANCE_URL: url,
          PAPER_LIVE_OKX_URL: url,
        });
        assert.equal(result.code, 3, result.stderr);
        assert.match(result.stderr, /cannot reach 127\.0\.0\.1:\d+ \(binance\): no answer within 1000 ms/);
        assert.match(result.stderr, /cannot reach 127\.0\.0\.1:\d+ \(okx\): no answer within 1000 ms/);
        assert.ok(held.length >= 2, "both probes connected");
      } finally {
        listener.close();
        await accepting.catch(() => {});
        for (const conn of held) conn.close();
      }
    });

    await t.step("bad flags and overrides are refused with the name of what to fix", async () => {
      const badUrl = await runPaperLive(["--data-dir", dataDir], { PAPER_LIVE_OKX_URL: "ftp://example" });
      assert.equal(badUrl.code, 2);
      assert.match(badUrl.stderr, /PAPER_LIVE_OKX_URL must be an http\(s\) URL/);
      const badTimeout = await runPaperLive(["--data-dir", dataDir, "--probe-timeout-ms", "soon"], {});
      assert.equal(badTimeout.code, 2);
      assert.match(badTimeout.stderr, /--probe-timeout-ms must be a whole number/);
    });
  } finally {
    await Deno.remove(parent, { recursive: true }).catch(() => {});
  }
});

Deno.test("paper-live against reachable venues (the simulator) reads public data only and trades on paper", async () => {
  const sim = await startSimulator({ seed: 3 });
  const dataDir = await Deno.makeTempDir({ prefix: "paper-live-sim-" });
  try {
    const result = await runPaperLive(["--reset", "--no-dashboard", "--duration", "15", "--data-dir", dataDir], {
      PAPER_LIVE_BINANCE_URL: sim.binance.baseUrl,
      PAPER_LIVE_OKX_URL: sim.okx.baseUrl,
      // Keys in the caller's shell must not reach the functions: paper-live blanks them.
      BINANCE_API_KEY: sim.binance.apiKey,
      BINANCE_API_SECRET: sim.binance.secret,
    });
    assert.equal(result.code, 0, result.stderr);
    const ready = JSON.parse(result.stdout.split("\n")[0]);
    assert.equal(ready.event, "ready");
    assert.equal(ready.mode, "paper");
    assert.deepEqual(ready.venues, { binance: sim.binance.baseUrl, okx: sim.okx.baseUrl });
    assert.match(result.stderr, /PAPER mode .* real market: public quotes from 127\.0\.0\.1:\d+ and 127\.0\.0\.1:\d+/);
    assert.match(result.stderr, /paper-live: stopped cleanly$/m);

    const requests = sim.requestLog.list({});
    assert.ok(requests.some((r) => r.venue === "binance"), "binance was asked for data");
    assert.ok(requests.some((r) => r.venue === "okx"), "okx was asked for data");
    assert.deepEqual(requests.filter((r) => r.private || r.signed).map((r) => `${r.venue} ${r.path}`), [], "no keys");
    assert.ok(requests.every((r) => r.method === "GET"), "nothing but reads reached the venues");

    const db = await startEmbeddedPostgres({ dataDir, applySchema: false });
    const sql = postgres(db.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const venues = await sql<{ exchange_name: string; balance_status: string; latency_band: string | null }[]>`
        select exchange_name, balance_status, latency_band from public.exchange_connections
        where exchange_name in ('binance', 'okx') order by 1`;
      assert.deepEqual(venues.map((v) => [v.exchange_name, v.balance_status, v.latency_band !== null]), [
        ["binance", "ok", true],
        ["okx", "ok", true],
      ]);
      const [{ bursts }] = await sql<{ bursts: number }[]>`
        select count(*)::int as bursts from public.function_runs where function_name = 'trade-burst'`;
      assert.ok(bursts >= 1, "a trade burst ran");
    } finally {
      await sql.end({ timeout: 5 });
      await db.stop();
    }
  } finally {
    await sim.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
